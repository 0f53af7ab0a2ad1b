/** Fault: one user's tokens revoked in Outreach, then the user authorises the app again. */
import { refreshTokenSecretName } from '../../lambdas/shared/config';
import { sleep } from '../sleep';
import { type Injector, timed } from './injector';

/**
 * Revokes the first user's tokens, and after the fault's duration authorises the app again and puts the new
 * refresh token in the local secret store, as an operator would after the user reconnects.
 */
export const revokeRefreshToken: Injector = (context, fault) =>
  timed(context, fault.kind, async () => {
    const user = context.users[0] as string;
    const secretId = refreshTokenSecretName(context.dispatcherEnvironment.refreshTokenSecretPrefix, user);
    context.simulator.revokeUser(user);
    await sleep(fault.durationMs);
    await context.secrets.putSecretString(secretId, context.simulator.authorize(user));
    return `${user}'s tokens revoked; re-authorised ${fault.durationMs} wall ms later with a new refresh token in the secret store`;
  });
