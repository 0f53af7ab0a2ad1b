/**
 * The Outreach simulator's HTTP server.
 *
 * It is written on plain `node:http` rather than a web framework because a simulator of a misbehaving API
 * has to control the wire exactly: reset connections with `socket.destroy()`, answer `text/plain` where
 * Outreach does, decide header by header what is present (rate-limit headers on every API answer, none on
 * the token endpoint), and hold answers back past a client's timeout. It must also never be the bottleneck
 * of the benchmarks that use it (well over 2,000 requests/s on a small machine), and a framework would
 * only add layers between the request and those decisions.
 *
 * Request flow for `/api/v2/*`: token lookup → injected faults (reset, maintenance, error burst) → 401 →
 * concurrency cap → cool-down (penalty mode) and budget → 415 → route → scope (403) → handler → latency.
 * Every request is recorded in the statistics, including faulted ones; any unexpected exception becomes a
 * JSON:API 500 that is counted like any other answer.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { JSON_API_MEDIA_TYPE, type OutreachResourceType, RESOURCE_PATHS } from '../../lambdas/outreach/types';
import { BatchActions } from './batches';
import {
  applyConfigPatch,
  ConfigError,
  type DerivedTimings,
  defaultConfig,
  deriveTimings,
  parseConfigPatch,
  type SimulatorConfig,
  type SimulatorConfigPatch,
} from './config';
import { UserCooldown } from './cooldown';
import { decideFaults, type FaultDecision, tokenOutageUntil } from './faults';
import {
  ApiError,
  apiErrors,
  encodeCursor,
  FAULT_ERRORS,
  nextPageUrl,
  parseFields,
  parseListQuery,
  type StoredRecord,
  serialize,
  UNSUPPORTED_MEDIA_TYPE,
} from './jsonapi';
import { type BudgetSnapshot, UserBudget } from './limiter';
import { formatRetryAfter, formatTryAgainAt, rateLimitDetail, rateLimitHeaders } from './rate-limit-format';
import { type SimulatorStats, StatsRecorder, type StatusKey, type UserStats } from './stats';
import { ResourceStore } from './store';
import { type AuthResult, hasScope, TokenStore } from './tokens';

/** Settings fixed for the life of a running simulator. */
export interface SimulatorRuntimeOptions {
  /** Interface to bind. Default `127.0.0.1` (it is a local tool). */
  host: string;
  /** Port; 0 picks a free one. Default 0. */
  port: number;
  /** Serve `/__sim/*` (stats, config, reset). Default true; when false those paths answer 404. */
  controlApi: boolean;
  /** Clock in epoch ms. Default `Date.now`; tests inject a fake one. */
  now: () => number;
  /** Random source in [0, 1) for faults. Default `Math.random`. */
  random: () => number;
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes: number;
}

/** Every option, fully resolved: behaviour ({@link SimulatorConfig}) plus run-time settings. */
export type SimulatorOptions = SimulatorConfig & SimulatorRuntimeOptions;

/** What `startOutreachSimulator` accepts: any subset, nested groups partial too. */
export type SimulatorStartOptions = Partial<SimulatorRuntimeOptions> & SimulatorConfigPatch;

/** A started simulator. */
export interface RunningSimulator {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `${url}/api/v2`. */
  readonly apiBaseUrl: string;
  /** `${url}/oauth/token`. */
  readonly tokenUrl: string;
  /** The same object `GET /__sim/stats` returns. */
  stats(): SimulatorStats;
  /** Changes behaviour while running (same as `POST /__sim/config`); returns the effective config. */
  configure(patch: SimulatorConfigPatch): SimulatorConfig;
  /**
   * Clears state (counters, budgets, cool-downs, records, mint limits) but keeps the config. Issued tokens
   * stay valid unless `tokens` is true, so long-running clients are not locked out.
   */
  reset(options?: { tokens?: boolean }): void;
  /** Revokes every token of `user` (the app disconnected in Outreach): refreshes get `invalid_grant`. */
  revokeUser(user: string): void;
  /** `user` authorises the app again: returns the new refresh token to store. */
  authorize(user: string): string;
  /** Closes the server and every connection, including idle keep-alive ones. */
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_API_CONTENT_TYPE = `${JSON_API_MEDIA_TYPE}; charset=utf-8`;
const COLLECTIONS = new Map<string, OutreachResourceType>(
  Object.entries(RESOURCE_PATHS).map(([type, path]) => [path, type as OutreachResourceType]),
);
const SEQUENCE_STATE_ACTIONS = new Set(['pause', 'resume', 'finish']);

const jsonApiReply = (status: number, document: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': JSON_API_CONTENT_TYPE, ...headers },
  body: status === 204 ? '' : JSON.stringify(document),
});

const jsonReply = (status: number, document: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(document),
});

/** Reads the request body up to `limit` bytes; null when it is larger. */
function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    return Promise.resolve('');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

/** The simulator: state, behaviour and the HTTP listener. */
export class OutreachSimulator implements RunningSimulator {
  url = '';
  apiBaseUrl = '';
  tokenUrl = '';
  private config: SimulatorConfig;
  private timings: DerivedTimings;
  private readonly server: http.Server;
  private readonly tokens: TokenStore;
  private readonly store: ResourceStore;
  private readonly batches: BatchActions;
  private statsRecorder = new StatsRecorder();
  private budgets = new Map<string, UserBudget>();
  private cooldowns = new Map<string, UserCooldown>();
  private announcedUntil = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private since: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly runtime: SimulatorRuntimeOptions;

  constructor(options: SimulatorStartOptions = {}) {
    const { host, port, controlApi, now, random, maxBodyBytes, ...patch } = options;
    this.runtime = {
      host: host ?? '127.0.0.1',
      port: port ?? 0,
      controlApi: controlApi ?? true,
      now: now ?? Date.now,
      random: random ?? Math.random,
      maxBodyBytes: maxBodyBytes ?? 1024 * 1024,
    };
    this.now = this.runtime.now;
    this.random = this.runtime.random;
    this.since = this.now();
    this.config = applyConfigPatch(defaultConfig(), parseConfigPatch(patch), this.since);
    this.timings = deriveTimings(this.config);
    this.tokens = new TokenStore(() => ({
      clientId: this.config.oauth.clientId,
      clientSecret: this.config.oauth.clientSecret,
      accessTokenLifetimeMs: this.timings.accessTokenLifetimeMs,
      mintIntervalMs: this.timings.mintIntervalMs,
      refreshTokenHistory: this.config.oauth.refreshTokenHistory,
      refreshTokenLifetimeMs: this.timings.refreshTokenLifetimeMs,
      maxLiveAccessTokens: this.config.oauth.maxLiveAccessTokens,
      scopes: this.config.oauth.scopes,
    }));
    this.store = new ResourceStore(
      () => ({
        duplicateSequenceState: this.config.resources.duplicateSequenceState,
        seedAccounts: this.config.resources.seedAccounts,
        seedSequences: this.config.resources.seedSequences,
        seedMailboxes: this.config.resources.seedMailboxes,
        seedProspects: this.config.resources.seedProspects,
      }),
      {
        duplicateCreated: (user, type) => this.statsRecorder.each(user, (counters) => counters.duplicate(type)),
        duplicateRefused: (user) =>
          this.statsRecorder.each(user, (counters) => {
            counters.duplicatesRefused += 1;
          }),
      },
    );
    this.batches = new BatchActions(
      this.store,
      () => ({
        startDelayMs: this.timings.batchStartDelayMs,
        msPerItem: this.timings.batchMsPerItem,
        createStatus: this.config.batches.createStatus,
        unlistedProspects: this.config.batches.unlistedProspects,
        defaultPageSize: this.config.resources.defaultPageSize,
        maxPageSize: this.config.resources.maxPageSize,
      }),
      {
        unfilteredBulkAction: (user) =>
          this.statsRecorder.each(user, (counters) => {
            counters.unfilteredBulkActions += 1;
          }),
      },
    );
    for (const user of this.config.users) this.tokens.addUser(user, this.since);
    this.store.reset(this.since);
    this.server = http.createServer((req, res) => {
      this.dispatch(req, res).catch((error: unknown) => this.lastResort(res, error));
    });
    this.server.keepAliveTimeout = 30_000;
    this.server.on('clientError', (_error, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Starts listening; resolves once the port is bound. */
  listen(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.runtime.port, this.runtime.host, () => {
        this.server.off('error', reject);
        const address = this.server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.url = `http://${host}:${address.port}`;
        this.apiBaseUrl = `${this.url}/api/v2`;
        this.tokenUrl = `${this.url}/oauth/token`;
        resolve(this);
      });
    });
  }

  stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return new Promise((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  configure(patch: SimulatorConfigPatch): SimulatorConfig {
    const now = this.now();
    this.config = applyConfigPatch(this.config, parseConfigPatch(patch), now);
    this.timings = deriveTimings(this.config);
    for (const user of this.config.users) this.tokens.addUser(user, now);
    return structuredClone(this.config);
  }

  revokeUser(user: string): void {
    this.tokens.revokeUser(user);
  }

  authorize(user: string): string {
    return this.tokens.authorize(user, this.now());
  }

  reset(options: { tokens?: boolean } = {}): void {
    const now = this.now();
    this.since = now;
    this.statsRecorder = new StatsRecorder();
    this.budgets = new Map();
    this.cooldowns = new Map();
    this.announcedUntil = new Map();
    this.store.reset(now);
    this.batches.reset();
    if (options.tokens) this.tokens.clear(now);
    this.tokens.clearMintLimits();
  }

  stats(): SimulatorStats {
    const now = this.now();
    this.batches.advance(now);
    const users: Record<string, UserStats> = {};
    const names = new Set([...this.config.users, ...this.statsRecorder.users()]);
    for (const user of names) {
      const cooldown = this.cooldowns.get(user);
      const budget = this.budget(user).peek(now, this.budgetSettings());
      users[user] = {
        ...this.statsRecorder.user(user).snapshot(),
        budget: { limit: budget.limit, remaining: budget.remaining, resetAtMs: budget.resetAtMs },
        cooldownUntil: cooldown?.isCoolingDown(now) ? cooldown.until : null,
        penaltyStrikes: cooldown?.strikes ?? 0,
      };
    }
    return {
      since: this.since,
      now,
      config: structuredClone(this.config),
      timings: { ...this.timings },
      users,
      total: this.statsRecorder.total.snapshot(),
    };
  }

  // ---------------------------------------------------------------- routing

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
    if (path === '/api/v2' || path.startsWith('/api/v2/')) {
      await this.handleApi(req, res, path, query);
    } else if (path === '/oauth/token') {
      await this.handleOAuth(req, res);
    } else if (this.runtime.controlApi && path.startsWith('/__sim/')) {
      await this.handleControl(req, res, path);
    } else {
      this.send(res, jsonApiReply(404, { errors: apiErrors.unknownPath(path).errors }));
    }
  }

  private lastResort(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(
      res,
      jsonApiReply(500, {
        errors: [
          {
            ...FAULT_ERRORS[500],
            detail: `Simulator error: ${error instanceof Error ? error.message : String(error)}`,
          },
        ],
      }),
    );
  }

  private send(res: ServerResponse, reply: Reply): void {
    if (res.writableEnded || res.destroyed) return;
    const body = reply.body;
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }

  private later(delayMs: number, action: () => void): void {
    if (delayMs <= 0) {
      action();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }

  // ---------------------------------------------------------------- /api/v2

  private async handleApi(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const arrivedAt = this.now();
    const authorization = req.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : null;
    const auth = this.tokens.authenticate(bearer, arrivedAt);
    const user = auth.ok ? auth.user : null;
    this.statsRecorder.each(user, (counters) => counters.arrived(arrivedAt));
    let recorded = false;
    const complete = (status: StatusKey): void => {
      if (recorded) return;
      recorded = true;
      const at = this.now();
      this.statsRecorder.each(user, (counters) => counters.completed(status, at));
    };
    const faults = decideFaults(this.config.faults, arrivedAt, this.random);
    if (faults.hold) {
      // Unresponsive: never answer; the request counts as timed out once the client gives up.
      res.once('close', () => complete('timeout'));
      req.resume();
      return;
    }
    if (faults.reset === 'before') {
      complete('reset');
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    try {
      const body = await readBody(req, this.runtime.maxBodyBytes);
      reply = this.apiReply(req, path, query, body, auth, faults, arrivedAt);
    } catch (error) {
      if (req.socket.destroyed) {
        complete('reset');
        return;
      }
      reply = this.errorReply(error);
    }
    this.later(faults.delayMs, () => {
      if (faults.reset === 'after') {
        complete('reset');
        req.socket.destroy();
        return;
      }
      complete(String(reply.status));
      this.send(res, reply);
    });
  }

  private errorReply(error: unknown, headers: Record<string, string> = {}): Reply {
    if (error instanceof ApiError) return jsonApiReply(error.status, { errors: error.errors }, headers);
    return jsonApiReply(
      500,
      {
        errors: [
          {
            ...FAULT_ERRORS[500],
            detail: `Simulator error: ${error instanceof Error ? error.message : String(error)}`,
          },
        ],
      },
      headers,
    );
  }

  private budget(user: string): UserBudget {
    let budget = this.budgets.get(user);
    if (!budget) {
      budget = new UserBudget();
      this.budgets.set(user, budget);
    }
    return budget;
  }

  private cooldown(user: string): UserCooldown {
    let cooldown = this.cooldowns.get(user);
    if (!cooldown) {
      cooldown = new UserCooldown();
      this.cooldowns.set(user, cooldown);
    }
    return cooldown;
  }

  private budgetSettings() {
    return { budget: this.config.budget, windowMs: this.timings.windowMs, mode: this.config.mode };
  }

  private penaltySettings() {
    return {
      enabled: this.config.penalty.enabled,
      initialWaitMs: this.timings.penaltyInitialWaitMs,
      growthFactor: this.config.penalty.growthFactor,
      maxWaitMs: this.timings.penaltyMaxWaitMs,
    };
  }

  private limitHeaders(snapshot: BudgetSnapshot, now: number): Record<string, string> {
    return this.config.rateLimitHeaders ? rateLimitHeaders(snapshot, this.config.resetHeader, now) : {};
  }

  /** A 429 `rateLimitExceeded` answer. */
  private tooManyRequests(snapshot: BudgetSnapshot, retryAtMs: number, now: number): Reply {
    const headers = this.limitHeaders(
      { limit: snapshot.limit, remaining: 0, resetAtMs: Math.max(snapshot.resetAtMs, retryAtMs) },
      now,
    );
    const retryAfter = formatRetryAfter(this.config.retryAfter, retryAtMs, now);
    if (retryAfter !== null) headers['retry-after'] = retryAfter;
    return jsonApiReply(
      429,
      {
        errors: [
          { id: 'rateLimitExceeded', title: 'Rate Limit Exceeded', detail: rateLimitDetail(snapshot.limit, retryAtMs) },
        ],
      },
      headers,
    );
  }

  private announce(
    user: string,
    reply: Reply,
    retryAtMs: number,
    now: number,
    reason: 'budget' | 'penalty' | 'concurrency',
  ): void {
    if (Math.abs((this.announcedUntil.get(user) ?? -1) - retryAtMs) < 1) return;
    this.announcedUntil.set(user, retryAtMs);
    this.statsRecorder.cooldown({
      user,
      at: now,
      waitMs: retryAtMs - now,
      retryAtMs,
      retryAfterHeader: reply.headers['retry-after'] ?? null,
      reason,
    });
  }

  private apiReply(
    req: IncomingMessage,
    path: string,
    query: string,
    body: string | null,
    auth: AuthResult,
    faults: FaultDecision,
    now: number,
  ): Reply {
    const user = auth.ok ? auth.user : null;
    const peekHeaders = (): Record<string, string> =>
      user === null ? {} : this.limitHeaders(this.budget(user).peek(now, this.budgetSettings()), now);

    if (faults.maintenanceUntil !== null) {
      const format = this.config.retryAfter === 'none' ? 'delta' : this.config.retryAfter;
      return jsonApiReply(
        503,
        {
          errors: [
            {
              id: 'scheduledServerMaintenance',
              title: 'Scheduled Server Maintenance',
              detail: `The API is down for scheduled maintenance; please try again at ${formatTryAgainAt(faults.maintenanceUntil)}.`,
            },
          ],
        },
        { ...peekHeaders(), 'retry-after': formatRetryAfter(format, faults.maintenanceUntil, now) ?? '1' },
      );
    }
    if (faults.bare429) {
      return jsonApiReply(429, {
        errors: [{ id: 'rateLimitExceeded', title: 'Rate Limit Exceeded', detail: 'Too many requests.' }],
      });
    }
    if (faults.errorStatus !== null) {
      return jsonApiReply(faults.errorStatus, { errors: [FAULT_ERRORS[faults.errorStatus]] }, peekHeaders());
    }
    if (!auth.ok) {
      const description = {
        missing: 'No access token was provided.',
        unknown: 'The access token is invalid.',
        expired: 'The access token expired.',
      }[auth.reason];
      return jsonReply(
        401,
        { error: 'Invalid JWT token.', description },
        { 'www-authenticate': `Bearer error="invalid_token", error_description="${description}"` },
      );
    }
    const name = auth.user;
    const settings = this.budgetSettings();
    const budget = this.budget(name);
    const cooldown = this.cooldown(name);
    const penalty = this.penaltySettings();
    if (cooldown.isCoolingDown(now)) {
      this.statsRecorder.each(name, (counters) => {
        counters.callsDuringCooldown += 1;
      });
    }
    if (penalty.enabled && cooldown.isCoolingDown(now)) {
      if (this.config.rejectedRequestsConsumeBudget) budget.forceCharge(now, settings);
      const announcement = cooldown.onStrike(now, penalty);
      const reply = this.tooManyRequests(budget.peek(now, settings), announcement.retryAtMs, now);
      this.announce(name, reply, announcement.retryAtMs, now, 'penalty');
      return reply;
    }
    const cap = this.config.concurrencyCap;
    if (cap !== null && this.statsRecorder.user(name).inFlight > cap) {
      if (this.config.rejectedRequestsConsumeBudget) budget.forceCharge(now, settings);
      if (!penalty.enabled) return this.tooManyRequests(budget.peek(now, settings), now + 1000, now);
      // In penalty mode, too many requests at once starts a cool-down like a spent budget does, and every request
      // made during it lengthens it: the escalation uncoordinated callers cause.
      const announcement = cooldown.onExhausted(now, now, penalty);
      const reply = this.tooManyRequests(budget.peek(now, settings), announcement.retryAtMs, now);
      this.announce(name, reply, announcement.retryAtMs, now, 'concurrency');
      return reply;
    }
    const charge = budget.charge(now, settings);
    if (!charge.allowed) {
      if (this.config.rejectedRequestsConsumeBudget) budget.forceCharge(now, settings);
      const announcement = cooldown.onExhausted(now, charge.retryAtMs, penalty);
      const reply = this.tooManyRequests(charge.snapshot, announcement.retryAtMs, now);
      this.announce(name, reply, announcement.retryAtMs, now, 'budget');
      return reply;
    }
    cooldown.onServed();
    const headers = this.limitHeaders(charge.snapshot, now);

    const contentType = req.headers['content-type'];
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== JSON_API_MEDIA_TYPE) {
      return jsonApiReply(415, { errors: UNSUPPORTED_MEDIA_TYPE }, headers);
    }
    try {
      if (body === null) throw apiErrors.tooLarge(this.runtime.maxBodyBytes);
      this.batches.advance(now);
      return this.route(req.method ?? 'GET', path, query, body, auth.scopes, name, now, headers);
    } catch (error) {
      return this.errorReply(error, headers);
    }
  }

  private route(
    method: string,
    path: string,
    query: string,
    rawBody: string,
    scopes: ReadonlySet<string>,
    user: string,
    now: number,
    headers: Record<string, string>,
  ): Reply {
    const segments = path.slice('/api/v2/'.length).split('/');
    const params = new URLSearchParams(query);
    const requireScope = (resource: string, kind: 'read' | 'write' | 'delete'): void => {
      if (!hasScope(scopes, resource, kind)) throw apiErrors.missingScope(`${resource}.${kind}`);
    };
    const body = (): unknown => {
      if (rawBody.trim() === '') return undefined;
      try {
        return JSON.parse(rawBody);
      } catch {
        throw apiErrors.badRequest('The request body is not valid JSON.');
      }
    };
    if (BatchActions.owns(segments)) {
      const answer = this.batches.route({
        method,
        segments,
        params,
        body,
        requireScope,
        user,
        now,
        apiBaseUrl: this.apiBaseUrl,
      });
      return jsonApiReply(answer.status, answer.document, headers);
    }
    const [collection = '', id, third, action, ...rest] = segments;
    const type = COLLECTIONS.get(collection);
    if (!type || rest.length > 0) throw apiErrors.unknownPath(path);
    const one = (status: number, record: StoredRecord, fields = parseFields(params)): Reply =>
      jsonApiReply(status, { data: serialize(record, this.apiBaseUrl, fields) }, headers);

    // /<collection>/<id>/actions/<action>
    if (third !== undefined) {
      const allowed =
        third === 'actions' && action !== undefined && type === 'sequenceState' && SEQUENCE_STATE_ACTIONS.has(action);
      if (!allowed || id === undefined) throw apiErrors.unknownPath(path);
      if (method !== 'POST') throw apiErrors.methodNotAllowed(method, path);
      requireScope(collection, 'write');
      return one(200, this.store.sequenceStateAction(id, action, now));
    }
    // /<collection>
    if (id === undefined || id === '') {
      if (method === 'GET') {
        requireScope(collection, 'read');
        const listQuery = parseListQuery(type, params, this.config.resources);
        const page = this.store.list(type, listQuery);
        const data = page.records.map((record) => serialize(record, this.apiBaseUrl, listQuery.fields));
        const links: Record<string, string> = {};
        const last = page.records[page.records.length - 1];
        if (page.hasMore && last) {
          links.next = nextPageUrl(`${this.apiBaseUrl}/${collection}`, params, encodeCursor(last.id));
        }
        return jsonApiReply(200, { data, links, ...(listQuery.count ? { meta: { count: page.count } } : {}) }, headers);
      }
      if (method === 'POST') {
        requireScope(collection, 'write');
        return one(201, this.store.create(type, body(), user, now));
      }
      throw apiErrors.methodNotAllowed(method, path);
    }
    // /<collection>/<id>
    switch (method) {
      case 'GET':
        requireScope(collection, 'read');
        return one(200, this.store.require(type, id));
      case 'PATCH':
        if (type === 'sequenceState') throw apiErrors.methodNotAllowed(method, path);
        requireScope(collection, 'write');
        return one(200, this.store.update(type, id, body(), now));
      case 'DELETE':
        requireScope(collection, 'delete');
        this.store.remove(type, id);
        return jsonApiReply(204, null, headers);
      default:
        throw apiErrors.methodNotAllowed(method, path);
    }
  }

  // ---------------------------------------------------------------- /oauth/token

  private async handleOAuth(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let user: string | null = null;
    const reply = await this.oauthReply(req, (name) => {
      user = name;
    }).catch((error: unknown) => {
      if (req.socket.destroyed) return null;
      return jsonReply(500, { error: 'server_error', error_description: String(error) });
    });
    if (reply === null) return;
    const status = String(reply.status);
    this.statsRecorder.each(user, (counters) => counters.oauth(status));
    this.send(res, reply);
  }

  private async oauthReply(req: IncomingMessage, identify: (user: string) => void): Promise<Reply> {
    const noStore = { 'cache-control': 'no-store' };
    const invalidRequest = (description: string): Reply =>
      jsonReply(400, { error: 'invalid_request', error_description: description }, noStore);
    if (req.method !== 'POST') {
      return jsonReply(405, { error: 'invalid_request', error_description: 'Use POST.' }, { allow: 'POST' });
    }
    const raw = await readBody(req, this.runtime.maxBodyBytes);
    if (raw === null) return invalidRequest('The request body is too large.');
    const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
    const fields: Record<string, string> = {};
    if (contentType === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return invalidRequest('The request body is not valid JSON.');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return invalidRequest('The request body must be a JSON object.');
      }
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === 'string') fields[key] = value;
      }
    } else {
      for (const [key, value] of new URLSearchParams(raw)) fields[key] = value;
    }
    const basic = req.headers.authorization?.startsWith('Basic ')
      ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8')
      : null;
    const [basicId, basicSecret] = basic
      ? [basic.slice(0, basic.indexOf(':')), basic.slice(basic.indexOf(':') + 1)]
      : [];
    const grantType = fields.grant_type;
    if (!grantType) return invalidRequest("'grant_type' is required.");
    if (grantType !== 'refresh_token') {
      return jsonReply(
        400,
        { error: 'unsupported_grant_type', error_description: 'The simulator supports the refresh_token grant.' },
        noStore,
      );
    }
    const refreshToken = fields.refresh_token;
    if (!refreshToken) return invalidRequest("'refresh_token' is required.");
    const now = this.now();
    if (tokenOutageUntil(this.config.faults, now) !== null) {
      return jsonReply(
        503,
        { error: 'temporarily_unavailable', error_description: 'The authorization server is temporarily unavailable.' },
        noStore,
      );
    }
    const result = this.tokens.refresh(
      fields.client_id ?? basicId ?? '',
      fields.client_secret ?? basicSecret ?? '',
      refreshToken,
      now,
    );
    if (result.ok) {
      const tokens = result.tokens;
      identify(tokens.user);
      this.statsRecorder.each(tokens.user, (counters) => {
        counters.tokensMinted += 1;
      });
      return jsonReply(
        200,
        {
          access_token: tokens.accessToken,
          token_type: 'bearer',
          expires_in: tokens.expiresInSeconds,
          refresh_token: tokens.refreshToken,
          scope: tokens.scopes.join(' '),
          created_at: Math.floor(now / 1000),
        },
        noStore,
      );
    }
    switch (result.error) {
      case 'invalid_client':
        return jsonReply(401, { error: 'invalid_client', error_description: result.description }, noStore);
      case 'invalid_grant':
        if (result.user) identify(result.user);
        return jsonReply(400, { error: 'invalid_grant', error_description: result.description }, noStore);
      case 'rate_limited':
        identify(result.user);
        this.statsRecorder.each(result.user, (counters) => {
          counters.mintsRefused += 1;
        });
        return { status: 429, headers: { 'content-type': 'text/plain' }, body: 'Retry later\n' };
    }
  }

  // ---------------------------------------------------------------- /__sim

  private async handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const raw = await readBody(req, this.runtime.maxBodyBytes);
    const parse = (): unknown => (raw?.trim() ? JSON.parse(raw) : {});
    try {
      if (path === '/__sim/stats' && method === 'GET') return this.send(res, jsonReply(200, this.stats()));
      if (path === '/__sim/config' && method === 'GET') return this.send(res, jsonReply(200, this.config));
      if (path === '/__sim/config' && method === 'POST') {
        return this.send(res, jsonReply(200, this.configure(parse() as SimulatorConfigPatch)));
      }
      if (path === '/__sim/reset' && method === 'POST') {
        const options = parse() as { tokens?: unknown };
        this.reset({ tokens: options?.tokens === true });
        return this.send(res, jsonReply(200, { ok: true, since: this.since }));
      }
      this.send(res, jsonReply(404, { error: 'not_found', error_description: `No control route ${method} ${path}.` }));
    } catch (error) {
      const problems =
        error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)];
      this.send(res, jsonReply(400, { error: 'invalid_request', problems }));
    }
  }
}
