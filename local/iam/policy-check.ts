/**
 * Evaluates AWS calls against the policies of the deployed stack with an IAM policy evaluator
 * (`@cloud-copilot/iam-simulate`: identity and resource policies, conditions included), before they are sent.
 * Every call is counted by principal and action; a call AWS would deny is recorded and refused with an error that
 * names the principal, the action and the resource. Test and local use only: the evaluator is never bundled into
 * the dispatcher.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { DeployedStack, PrincipalName } from './deployed-stack';

/** One authorisation a call needs: an action on a resource, with the request's condition keys. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** A call AWS would have refused. */
export interface IamDenial {
  readonly principal: PrincipalName;
  readonly principalArn: string;
  readonly action: string;
  readonly resource: string;
  /** The evaluator's verdict, e.g. `ImplicitlyDenied`, `ExplicitlyDenied`. */
  readonly result: string;
}

/** What the check has seen: calls checked by principal and action, and every denial. */
export interface IamLedger {
  /** Calls checked, by principal, then by action. */
  readonly checked: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly denied: number;
  readonly denials: readonly IamDenial[];
}

/** The error a denied call fails with, as AWS's `AccessDenied`, naming the principal, the action and the resource. */
export class IamAccessDeniedError extends Error {
  override readonly name = 'AccessDeniedException';
  readonly $fault = 'client';
  constructor(readonly denial: IamDenial) {
    super(
      `${denial.principal} (${denial.principalArn}) is not authorized to perform ${denial.action} on resource ${denial.resource}: the deployed stack's policies give ${denial.result}`,
    );
  }
}

/** Condition keys every request carries: the SDK always calls AWS over TLS. */
const GLOBAL_CONTEXT = { 'aws:SecureTransport': 'true' } as const;

/** Checks calls against a deployed stack's policies and keeps the ledger. */
export class IamPolicyCheck {
  private readonly counts = new Map<PrincipalName, Map<string, number>>();
  private readonly denialList: IamDenial[] = [];
  private readonly verdicts = new Map<string, Promise<string>>();
  /** Condition keys any policy that applies to a principal tests, lower-cased: the only context that can matter. */
  private readonly conditionKeys: Record<PrincipalName, ReadonlySet<string>>;

  constructor(private readonly stack: DeployedStack) {
    const resourceKeys = [...stack.resourcePolicies.values()].flatMap(conditionKeysOf);
    const keysOf = (principal: PrincipalName) =>
      new Set([...stack.principals[principal].policies.flatMap((p) => conditionKeysOf(p.policy)), ...resourceKeys]);
    this.conditionKeys = { dispatcher: keysOf('dispatcher'), producer: keysOf('producer') };
  }

  /**
   * Counts and evaluates `requests` made by `principal`; resolves when every one is allowed.
   * @throws IamAccessDeniedError for the first request AWS would deny (it is recorded too).
   */
  async authorize(principal: PrincipalName, requests: readonly IamRequest[]): Promise<void> {
    for (const request of requests) {
      this.count(principal, request.action);
      const result = await this.verdict(principal, request);
      if (result !== 'Allowed') {
        const denial: IamDenial = {
          principal,
          principalArn: this.stack.principals[principal].arn,
          action: request.action,
          resource: request.resource,
          result,
        };
        this.denialList.push(denial);
        throw new IamAccessDeniedError(denial);
      }
    }
  }

  /** A snapshot of the calls checked and the denials. */
  ledger(): IamLedger {
    const checked = Object.fromEntries(
      [...this.counts].map(([principal, actions]) => [principal, Object.fromEntries([...actions].sort())]),
    );
    return { checked, denied: this.denialList.length, denials: [...this.denialList] };
  }

  /**
   * Throws naming every distinct denial, if there was any: for a test or a run to fail on a call AWS would have
   * refused even when the code under test swallowed the error.
   */
  assertNoDenials(): void {
    if (this.denialList.length === 0) return;
    const distinct = [...new Set(this.denialList.map((d) => `${d.principal} ${d.action} ${d.resource}`))];
    throw new Error(
      `AWS would deny ${this.denialList.length} call(s) the code made: ${distinct.join('; ')} (${this.denialList[0]?.result})`,
    );
  }

  private count(principal: PrincipalName, action: string): void {
    const actions = this.counts.get(principal) ?? new Map<string, number>();
    actions.set(action, (actions.get(action) ?? 0) + 1);
    this.counts.set(principal, actions);
  }

  /**
   * The evaluator's verdict, cached per principal, action, resource and the context keys its policies test: calls
   * that differ only in keys no policy looks at (e.g. each item's partition key) share one evaluation.
   */
  private verdict(principal: PrincipalName, request: IamRequest): Promise<string> {
    const used = this.conditionKeys[principal];
    const context = Object.fromEntries(
      Object.entries({ ...GLOBAL_CONTEXT, ...(request.context ?? {}) }).filter(([key]) => used.has(key.toLowerCase())),
    );
    const key = JSON.stringify([principal, request.action, request.resource, context]);
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      verdict = this.evaluate(principal, { ...request, context });
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  private async evaluate(principal: PrincipalName, request: IamRequest): Promise<string> {
    const who = this.stack.principals[principal];
    const accountId = who.arn.split(':')[4] as string;
    const resourcePolicy = this.stack.resourcePolicies.get(request.resource);
    const result = await runSimulation(
      {
        request: {
          principal: who.arn,
          action: request.action,
          resource: { resource: request.resource, accountId },
          contextVariables: { ...GLOBAL_CONTEXT, ...toMutable(request.context ?? {}) },
        },
        identityPolicies: who.policies.map(({ name, policy }) => ({ name, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy !== undefined && { resourcePolicy }),
      },
      { simulationMode: 'Strict' },
    );
    if (result.resultType === 'error') {
      throw new Error(
        `the IAM evaluator could not check ${request.action} on ${request.resource}: ${result.errors.message}`,
      );
    }
    return result.overallResult;
  }
}

/** The condition keys (lower-cased) a policy document's statements test. */
function conditionKeysOf(policy: unknown): string[] {
  const statements = (policy as { Statement?: unknown } | undefined)?.Statement;
  return ([] as unknown[]).concat(statements ?? []).flatMap((statement) => {
    const condition = (statement as { Condition?: Record<string, Record<string, unknown>> }).Condition ?? {};
    return Object.values(condition).flatMap((tests) => Object.keys(tests).map((key) => key.toLowerCase()));
  });
}

function toMutable(context: Readonly<Record<string, string | readonly string[]>>): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(context).map(([key, value]) => [key, typeof value === 'string' ? value : [...value]]),
  );
}
