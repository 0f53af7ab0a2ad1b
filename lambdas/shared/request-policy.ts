/**
 * What the generic `request` operation may do: an allow-list of methods and resource paths. Typed operations
 * carry guards (a bulk action must list its ids, a create is read back before it is retried); the generic
 * operation would get around them, so it is held to this list at the producer and again at the dispatcher.
 *
 * A rule is `METHOD /path/pattern`, the path relative to `/api/v2`; a `*` segment matches exactly one path
 * segment, every other segment matches itself exactly (case-sensitive). The rule `default` stands for
 * {@link DEFAULT_REQUEST_RULES}, so a deployment widens the policy with `default` plus its own rules.
 */

/** Methods a generic request may use. */
export const REQUEST_METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const;

/** A generic request's method. */
export type RequestMethod = (typeof REQUEST_METHODS)[number];

/** The rule that stands for {@link DEFAULT_REQUEST_RULES}. */
export const DEFAULT_RULE = 'default';

/** Most rules a policy may list (each is also checked at the producer, so keep it small). */
export const MAX_REQUEST_RULES = 200;

/**
 * The default policy: reads of the common sales resources, and writes only where no typed operation does the
 * same with a guard. Left out on purpose:
 * - every DELETE (irreversible);
 * - `POST /prospects` and `POST /sequenceStates`: `prospect.create` and `sequenceState.create` read back before
 *   a retried create, the generic operation cannot;
 * - bulk actions and imports (`/batches/...`, `/imports/...`): never allowed, whatever the policy, so each goes
 *   through its typed operation with its guard (e.g. `batch.prospectsAddToSequence` must list its ids);
 * - webhooks (they send Outreach's data to any URL), users, roles, profiles, teams, mailbox settings, org
 *   settings, rulesets, audit logs and compliance (governance) requests: administration, not sales work.
 */
export const DEFAULT_REQUEST_RULES: readonly string[] = [
  ...[
    'accounts',
    'calls',
    'callDispositions',
    'callPurposes',
    'mailboxes',
    'mailings',
    'opportunities',
    'opportunityStages',
    'prospects',
    'sequences',
    'sequenceStates',
    'sequenceSteps',
    'stages',
    'taskPriorities',
    'tasks',
    'templates',
  ].flatMap((resource) => [`GET /${resource}`, `GET /${resource}/*`]),
  'GET /batches/*',
  'POST /accounts',
  'PATCH /accounts/*',
  'PATCH /prospects/*',
  'POST /calls',
  'POST /opportunities',
  'PATCH /opportunities/*',
  'POST /tasks',
  'PATCH /tasks/*',
  'POST /tasks/*/actions/markComplete',
  'POST /tasks/*/actions/reschedule',
  'POST /tasks/*/actions/snooze',
  'POST /sequenceStates/*/actions/pause',
  'POST /sequenceStates/*/actions/resume',
  'POST /sequenceStates/*/actions/finish',
];

/** First path segments no write may address, whatever the policy: bulk actions go through typed operations. */
const BULK_ROOTS = ['batches', 'imports'];

/** Query parameters that would ask a server to treat the request as another method. */
const METHOD_OVERRIDE = /^_method$/i;

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Raised for a policy rule that cannot be understood or would allow a bulk action; names the rule. */
export class RequestPolicyError extends Error {
  override readonly name = 'RequestPolicyError';
}

interface Rule {
  readonly text: string;
  readonly method: RequestMethod;
  readonly segments: readonly string[];
}

/** A policy ready to check requests against. */
export interface RequestPolicy {
  /** The rules as configured (with `default` unexpanded), to name the policy in refusals. */
  readonly rules: readonly string[];
  readonly compiled: readonly Rule[];
}

function compileRule(text: string): Rule {
  const match = /^([A-Z]+) (\/\S*)$/.exec(text);
  if (match === null) throw new RequestPolicyError(`rule "${text}" must be "METHOD /path", e.g. "GET /prospects/*"`);
  const [, method = '', path = ''] = match;
  if (!(REQUEST_METHODS as readonly string[]).includes(method)) {
    throw new RequestPolicyError(`rule "${text}": method must be one of ${REQUEST_METHODS.join(', ')}`);
  }
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment !== '*' && !SEGMENT.test(segment)) {
      throw new RequestPolicyError(
        `rule "${text}": each path segment must be '*' or letters, digits, '_' and '-' (got "${segment}")`,
      );
    }
  }
  if (method !== 'GET' && BULK_ROOTS.includes((segments[0] ?? '').toLowerCase())) {
    throw new RequestPolicyError(
      `rule "${text}" would allow a bulk action; bulk actions go through their typed operations (e.g. batch.prospectsAddToSequence)`,
    );
  }
  return { text, method: method as RequestMethod, segments };
}

/**
 * Compiles a list of rules (`default` expands to {@link DEFAULT_REQUEST_RULES}).
 * @throws RequestPolicyError naming the first bad rule.
 */
export function compileRequestPolicy(rules: readonly string[]): RequestPolicy {
  if (!Array.isArray(rules)) throw new RequestPolicyError('a request policy must be a list of rules');
  if (rules.length > MAX_REQUEST_RULES) {
    throw new RequestPolicyError(`a request policy lists at most ${MAX_REQUEST_RULES} rules, got ${rules.length}`);
  }
  const expanded = rules.flatMap((rule) => (rule === DEFAULT_RULE ? DEFAULT_REQUEST_RULES : [rule]));
  return { rules: [...rules], compiled: expanded.map(compileRule) };
}

/** The default policy, compiled. */
export const DEFAULT_REQUEST_POLICY: RequestPolicy = compileRequestPolicy([DEFAULT_RULE]);

const cache = new WeakMap<readonly string[], RequestPolicy>();

/** The compiled policy for a configured rule list (the default when none), compiled once per list. */
export function requestPolicyOf(rules: readonly string[] | undefined): RequestPolicy {
  if (rules === undefined) return DEFAULT_REQUEST_POLICY;
  let policy = cache.get(rules);
  if (policy === undefined) {
    policy = compileRequestPolicy(rules);
    cache.set(rules, policy);
  }
  return policy;
}

function matches(rule: Rule, method: string, segments: readonly string[]): boolean {
  return (
    rule.method === method &&
    rule.segments.length === segments.length &&
    rule.segments.every((pattern, i) => pattern === '*' || pattern === segments[i])
  );
}

function describe(policy: RequestPolicy): string {
  const rules = policy.rules.join(', ');
  return `the request policy [${rules.length > 200 ? `${rules.slice(0, 200)}…` : rules}]`;
}

/**
 * Why `policy` refuses a generic request, or undefined when it allows it. `path` must already be a valid
 * request path (see `requestPathProblem`): a single canonical form, so no spelling of a path can match a rule
 * its canonical form does not.
 */
export function requestPolicyRefusal(
  policy: RequestPolicy,
  request: { readonly method: string; readonly path: string; readonly query?: Readonly<Record<string, string>> },
): string | undefined {
  const { method, path } = request;
  const shown = `${method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`;
  const segments = path.slice(1).split('/');
  if (method !== 'GET' && BULK_ROOTS.includes((segments[0] ?? '').toLowerCase())) {
    return `${shown} is a bulk action: bulk actions go through their typed operations (e.g. batch.prospectsAddToSequence), never the generic request`;
  }
  if (Object.keys(request.query ?? {}).some((name) => METHOD_OVERRIDE.test(name))) {
    return `${shown} carries a method override (_method); send the method itself`;
  }
  if (policy.compiled.some((rule) => matches(rule, method, segments))) return undefined;
  return `${shown} is not allowed by ${describe(policy)}`;
}
