import { JSON_API_MEDIA_TYPE } from './types';

/** One request to the Outreach REST API, relative to its base URL (`/prospects`, not `/api/v2/prospects`). */
export interface OutreachRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** What came back: a response (any status), or no response at all. */
export type OutreachReply =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: Headers;
      /** Parsed JSON when the body is JSON, the text otherwise, undefined when empty. */
      readonly body: unknown;
      readonly latencyMs: number;
    }
  | {
      readonly kind: 'no-response';
      /** `timeout`: nothing arrived in time; `reset`: the connection failed or was reset. */
      readonly reason: 'timeout' | 'reset';
      readonly detail: string;
      readonly latencyMs: number;
    };

/** The Outreach API as the dispatcher needs it: send one request with a user's access token. */
export interface OutreachApi {
  send(request: OutreachRequest, accessToken: string): Promise<OutreachReply>;
}

/** Builds the URL of a request: the path is appended to the base, the query encoded by URLSearchParams. */
export function outreachUrl(baseUrl: string, request: Pick<OutreachRequest, 'path' | 'query'>): string {
  const query = new URLSearchParams(request.query ?? {}).toString();
  return `${baseUrl.replace(/\/+$/, '')}${request.path}${query === '' ? '' : `?${query}`}`;
}

/**
 * The Outreach API over `fetch`. Every request, reads included, carries `Content-Type:
 * application/vnd.api+json` (Outreach answers 415 otherwise). A request that takes longer than `timeoutMs`
 * is aborted and reported as a timeout, never thrown.
 */
export class FetchOutreachApi implements OutreachApi {
  constructor(
    private readonly options: {
      readonly baseUrl: string;
      readonly timeoutMs: number;
      readonly fetch?: typeof fetch;
      readonly clock?: () => number;
    },
  ) {}

  async send(request: OutreachRequest, accessToken: string): Promise<OutreachReply> {
    const clock = this.options.clock ?? Date.now;
    const started = clock();
    const doFetch = this.options.fetch ?? fetch;
    try {
      const response = await doFetch(outreachUrl(this.options.baseUrl, request), {
        method: request.method,
        headers: {
          'Content-Type': JSON_API_MEDIA_TYPE,
          Accept: JSON_API_MEDIA_TYPE,
          Authorization: `Bearer ${accessToken}`,
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.text();
      return {
        kind: 'response',
        status: response.status,
        headers: response.headers,
        body: parseBody(text),
        latencyMs: clock() - started,
      };
    } catch (error) {
      const latencyMs = clock() - started;
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return {
          kind: 'no-response',
          reason: 'timeout',
          detail: `no response within ${this.options.timeoutMs} ms`,
          latencyMs,
        };
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return {
        kind: 'no-response',
        reason: 'reset',
        detail: cause?.code ?? cause?.message ?? (error as Error).message,
        latencyMs,
      };
    }
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
