/**
 * Attaches the IAM check to AWS SDK clients as middleware, so every call a client makes is evaluated, before it
 * is sent, against the policies the deployed stack gives the client's principal. Secrets, which have no local
 * service, are checked by a decorator of the secret store with the same Secrets Manager actions.
 */
import type { SecretStore } from '../../lambdas/tokens/ports';
import { type ArnScope, type CheckedService, iamRequestsOf } from './aws-requests';
import type { PrincipalName } from './deployed-stack';
import type { IamPolicyCheck } from './policy-check';

/** Any AWS SDK v3 client (or document client): what the middleware needs of it. */
export interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

/** Who is calling, the check to call through, and where local ARNs live. */
export interface IamCaller {
  readonly check: IamPolicyCheck;
  readonly principal: PrincipalName;
  readonly scope: ArnScope;
}

/**
 * Checks every call `client` makes to `service` as `caller.principal`; a call AWS would deny fails with
 * `IamAccessDeniedError` and is never sent. Returns the client.
 */
export function checkIamOnClient<T extends object>(client: T, service: CheckedService, caller: IamCaller): T {
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const requests = iamRequestsOf(service, context.commandName, args.input as Record<string, unknown>, caller.scope);
      await caller.check.authorize(caller.principal, requests);
      return next(args);
    },
    { step: 'initialize', name: 'iamPolicyCheck', override: true },
  );
  return client;
}

/** A secret store whose reads and writes are checked as Secrets Manager's GetSecretValue and PutSecretValue. */
export function checkIamOnSecrets(store: SecretStore, caller: IamCaller): SecretStore {
  const authorize = (operation: string, id: string) =>
    caller.check.authorize(
      caller.principal,
      iamRequestsOf('secretsmanager', `${operation}Command`, { SecretId: id }, caller.scope),
    );
  return {
    async getSecretString(id) {
      await authorize('GetSecretValue', id);
      return store.getSecretString(id);
    },
    async putSecretString(id, value) {
      await authorize('PutSecretValue', id);
      return store.putSecretString(id, value);
    },
  };
}
