import type { GateStore } from '../../lambdas/gate';

/**
 * Wraps a gate store so that its next `failures.acquire` admissions or `failures.release` lease returns throw
 * the error given, as a DynamoDB error would; every other call goes through. Set the counts between steps.
 */
export class GateFaults {
  readonly failures = { acquire: 0, release: 0 };

  constructor(private readonly errorFor: (call: 'acquire' | 'release') => Error) {}

  wrap(gate: GateStore): GateStore {
    return {
      snapshot: (...args) => gate.snapshot(...args),
      waitForRelease: (...args) => gate.waitForRelease(...args),
      ...(gate.knownWait ? { knownWait: gate.knownWait.bind(gate) } : {}),
      acquire: async (...args) => {
        this.failNext('acquire');
        return gate.acquire(...args);
      },
      release: async (...args) => {
        this.failNext('release');
        return gate.release(...args);
      },
    };
  }

  private failNext(call: 'acquire' | 'release'): void {
    if (this.failures[call] <= 0) return;
    this.failures[call] -= 1;
    throw this.errorFor(call);
  }
}
