/** The injector of each fault kind. */
import { skewClock } from './inject-clock-skew';
import { killDispatcher } from './inject-dispatcher-kill';
import { stopDynamoDb } from './inject-dynamodb-outage';
import { bare429Burst, outreach503, outreachUnresponsive, tokenEndpointDown } from './inject-outreach';
import { revokeRefreshToken } from './inject-revocation';
import type { Injector } from './injector';
import type { FaultKind } from './schedule';

/** Injector by fault kind. */
export const INJECTORS: Readonly<Record<FaultKind, Injector>> = {
  'dispatcher-killed': killDispatcher,
  'dynamodb-stopped': stopDynamoDb,
  'token-endpoint-down': tokenEndpointDown,
  'refresh-token-revoked': revokeRefreshToken,
  'outreach-503': outreach503,
  'outreach-unresponsive': outreachUnresponsive,
  'clock-skew': skewClock,
  'bare-429-burst': bare429Burst,
};
