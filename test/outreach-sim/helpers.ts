/** Shared helpers for the simulator's HTTP tests: start a simulator, get a token, call the API. */
import { type RunningSimulator, type SimulatorStartOptions, startOutreachSimulator } from '../../local/outreach-sim';

/** A response read completely. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON bodies
  json: any;
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public ms = Date.UTC(2030, 0, 1, 12, 0, 0)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Starts a simulator on 127.0.0.1 and a free port. */
export function startSim(options: SimulatorStartOptions = {}): Promise<RunningSimulator> {
  return startOutreachSimulator({ port: 0, host: '127.0.0.1', ...options });
}

async function read(response: Response): Promise<ApiResponse> {
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** `POST /oauth/token` with the refresh-token grant (form-encoded unless `asJson`). */
export async function refresh(
  sim: RunningSimulator,
  refreshToken: string,
  options: { asJson?: boolean; clientSecret?: string } = {},
): Promise<ApiResponse> {
  const fields = {
    grant_type: 'refresh_token',
    client_id: 'sim-client',
    client_secret: options.clientSecret ?? 'sim-secret',
    redirect_uri: 'http://localhost/callback',
    refresh_token: refreshToken,
  };
  const response = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': options.asJson ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: options.asJson ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
  });
  return read(response);
}

/** An access token for `user` from its development refresh token. */
export async function accessToken(sim: RunningSimulator, user = 'u1'): Promise<string> {
  const response = await refresh(sim, `refresh-${user}`);
  if (response.status !== 200) throw new Error(`token refresh failed: ${response.status} ${response.text}`);
  return response.json.access_token as string;
}

/** Calls `/api/v2<path>` with the JSON:API content type (unless overridden). */
export async function api(
  sim: RunningSimulator,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  init: { headers?: Record<string, string>; rawBody?: string; signal?: AbortSignal } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/vnd.api+json', ...init.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${sim.apiBaseUrl}${path}`, {
    method,
    headers,
    body: init.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    signal: init.signal,
  });
  return read(response);
}

/** A prospect create body. */
export const prospectBody = (email: string, extra: Record<string, unknown> = {}) => ({
  data: { type: 'prospect', attributes: { firstName: 'Ada', emails: [email], ...extra } },
});

/** A sequence state create body. */
export const enrolBody = (prospectId: number, sequenceId = 1, mailboxId = 1) => ({
  data: {
    type: 'sequenceState',
    relationships: {
      prospect: { data: { type: 'prospect', id: prospectId } },
      sequence: { data: { type: 'sequence', id: sequenceId } },
      mailbox: { data: { type: 'mailbox', id: mailboxId } },
    },
  },
});
