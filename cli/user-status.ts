import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { itemToState } from '../lambdas/adapters/dynamodb-gate-store';
import { itemToTokenRecord } from '../lambdas/adapters/dynamodb-token-store';
import { countInFlight, effectiveLimit, estimateRemaining } from '../lambdas/gate/admission';
import type { GateState } from '../lambdas/gate/types';
import type { GateConfig } from '../lambdas/shared/config';
import { gateKey, TABLE_KEYS, tokenKey } from '../lambdas/shared/names';
import type { TokenRecord } from '../lambdas/tokens/ports';

/** The state of a user's Outreach credentials, without the credentials themselves. */
export type CredentialHealth =
  | { readonly state: 'none' }
  | { readonly state: 'valid'; readonly expiresInMs: number }
  | { readonly state: 'expired' }
  | { readonly state: 'refused' }
  | { readonly state: 'mint-blocked'; readonly untilMs: number };

/** One user's gate as on-call sees it, at one instant. */
export interface UserStatus {
  readonly user: string;
  /** Milliseconds of cool-down left (0 when not cooling down). */
  readonly cooldownRemainingMs: number;
  readonly cooldownUntil: number | undefined;
  /** Requests the gate may still spend in the current window, the window's limit, and when it resets. */
  readonly budget: { readonly remaining: number; readonly limit: number; readonly resetAt: number | undefined };
  readonly inFlight: number;
  readonly inFlightCap: number;
  /** `open` until `openUntil`; `closed` otherwise, with the consecutive failures counted so far. */
  readonly circuit:
    | { readonly state: 'open'; readonly openUntil: number }
    | { readonly state: 'closed'; readonly consecutiveFailures: number };
  readonly credentials: CredentialHealth;
}

/** How a token item reads for on-call: never the token, only whether it works. */
export function credentialHealth(record: TokenRecord | undefined, now: number): CredentialHealth {
  if (record?.mintBlockedUntil !== undefined && record.mintBlockedUntil > now) {
    return { state: 'mint-blocked', untilMs: record.mintBlockedUntil };
  }
  if (record?.accessToken === undefined || record.accessTokenExpiresAt === undefined) return { state: 'none' };
  if (record.refreshAt === 0) return { state: 'refused' };
  if (record.accessTokenExpiresAt <= now) return { state: 'expired' };
  return { state: 'valid', expiresInMs: record.accessTokenExpiresAt - now };
}

/** One user's status from their gate state and token record at `now`. Pure. */
export function userStatus(
  user: string,
  state: GateState,
  token: TokenRecord | undefined,
  config: Pick<GateConfig, 'budget' | 'leases' | 'timing'>,
  now: number,
): UserStatus {
  const active = state.windowResetAt !== undefined && now < state.windowResetAt + config.budget.resetSkewMs;
  return {
    user,
    cooldownRemainingMs: Math.max(0, (state.cooldownUntil ?? 0) - now),
    cooldownUntil: state.cooldownUntil,
    budget: {
      remaining: estimateRemaining(state, now, config),
      limit: effectiveLimit(state, config),
      resetAt: config.budget.refill === 'fixed-window' && active ? state.windowResetAt : undefined,
    },
    inFlight: countInFlight(state, now, config),
    inFlightCap: config.leases.inFlightCap,
    circuit:
      state.circuitOpenUntil !== undefined && state.circuitOpenUntil > now
        ? { state: 'open', openUntil: state.circuitOpenUntil }
        : { state: 'closed', consecutiveFailures: state.consecutiveFailures ?? 0 },
    credentials: credentialHealth(token, now),
  };
}

/** Reads one user's gate item with the gate store's own reader. */
export async function readGateState(
  dynamodb: DynamoDBDocumentClient,
  tableName: string,
  user: string,
): Promise<GateState> {
  const { Item } = await dynamodb.send(
    new GetCommand({ TableName: tableName, Key: { [TABLE_KEYS.partitionKey]: gateKey(user) }, ConsistentRead: true }),
  );
  return itemToState(Item, user).state;
}

async function readTokenRecord(
  dynamodb: DynamoDBDocumentClient,
  tableName: string,
  user: string,
): Promise<TokenRecord | undefined> {
  const { Item } = await dynamodb.send(
    new GetCommand({ TableName: tableName, Key: { [TABLE_KEYS.partitionKey]: tokenKey(user) }, ConsistentRead: true }),
  );
  return Item === undefined ? undefined : itemToTokenRecord(Item, user);
}

/** Reads every configured user's gate and token items and describes them at `now`. */
export async function readUserStatus(
  dynamodb: DynamoDBDocumentClient,
  tableName: string,
  config: GateConfig,
  now: () => number,
): Promise<UserStatus[]> {
  return Promise.all(
    config.users.map(async (user) => {
      const [state, token] = await Promise.all([
        readGateState(dynamodb, tableName, user),
        readTokenRecord(dynamodb, tableName, user),
      ]);
      return userStatus(user, state, token, config, now());
    }),
  );
}
