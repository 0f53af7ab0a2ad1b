/**
 * What an abandoned invocation may no longer do. Lambda freezes or kills an execution environment whose
 * invocation ran past its timeout, so nothing it started after that point reaches AWS or Outreach. The local
 * runner cannot kill a promise: it runs each invocation inside a scope carrying an abort signal, aborts it at the
 * timeout, and the dispatcher's clients and fetch refuse to start calls for an aborted scope (and fetches in
 * flight are aborted). Unlike Lambda, code between calls still runs to its next call, and an SDK call already
 * sent completes; its result is ignored because the runner no longer waits for the invocation.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The invocation the current code runs for. */
export interface InvocationScope {
  readonly signal: AbortSignal;
  readonly requestId: string;
}

const scope = new AsyncLocalStorage<InvocationScope>();

/** Raised by a call started for an invocation the runner has abandoned at its timeout. */
export class InvocationAbandonedError extends Error {
  override readonly name = 'InvocationAbandonedError';
  constructor(what: string, requestId: string) {
    super(`${what} refused: invocation ${requestId} ran past the function timeout and was abandoned`);
  }
}

/** Runs `fn` as invocation `current`: calls it starts see its signal. */
export function runInInvocation<T>(current: InvocationScope, fn: () => T): T {
  return scope.run(current, fn);
}

/** The invocation the calling code runs for, if any. */
export function currentInvocation(): InvocationScope | undefined {
  return scope.getStore();
}

function refuseIfAbandoned(what: string): void {
  const current = scope.getStore();
  if (current?.signal.aborted) throw new InvocationAbandonedError(what, current.requestId);
}

/** Makes `client` (any AWS SDK v3 client) refuse calls started by an abandoned invocation. Returns the client. */
export function refuseCallsOfAbandonedInvocations<T extends object>(client: T): T {
  (
    client as unknown as {
      middlewareStack: {
        add(
          mw: (
            next: (args: unknown) => Promise<unknown>,
            context: { commandName?: string },
          ) => (args: unknown) => Promise<unknown>,
          options: { step: 'initialize'; name: string; priority: 'high'; override: boolean },
        ): void;
      };
    }
  ).middlewareStack.add(
    (next, context) => async (args) => {
      refuseIfAbandoned(context.commandName ?? 'AWS call');
      return next(args);
    },
    { step: 'initialize', name: 'refuseCallsOfAbandonedInvocations', priority: 'high', override: true },
  );
  return client;
}

/** `fetch` that refuses requests of an abandoned invocation and aborts those in flight when it is abandoned. */
export function abandonableFetch(base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const current = scope.getStore();
    if (current === undefined) return base(input, init);
    refuseIfAbandoned(`request to ${String(input instanceof Request ? input.url : input)}`);
    const signal = init?.signal ? AbortSignal.any([init.signal, current.signal]) : current.signal;
    return base(input, { ...init, signal });
  };
}
