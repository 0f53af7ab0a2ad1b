/**
 * The IAM check for a local environment: the stack synthesized from the environment's settings and mapped onto
 * its queues, table and secrets, and one policy check that every checked client of a run reports to.
 */
import type { DispatcherEnvironment, LaneEndpoints } from '../../lambdas/shared/config';
import type { GateSettingsInput } from '../../lib/settings';
import type { ArnScope } from './aws-requests';
import { type DeployedStack, deployedStack, type PrincipalName } from './deployed-stack';
import type { IamCaller } from './middleware';
import { IamPolicyCheck } from './policy-check';

/** What the check needs of a local environment. */
export interface CheckedEnvironment {
  readonly settingsInput: GateSettingsInput;
  readonly tableName: string;
  readonly lanes: LaneEndpoints;
  readonly dispatcherEnvironment: Pick<DispatcherEnvironment, 'appSecretArn'>;
}

/** A running IAM check: the deployed stack, the ledger, and a caller per principal. */
export interface LocalIamCheck {
  readonly deployed: DeployedStack;
  readonly check: IamPolicyCheck;
  readonly scope: ArnScope;
  caller(principal: PrincipalName): IamCaller;
}

/** The account and region of the local ARNs, read from a lane's queue ARN. */
export function localArnScope(lanes: LaneEndpoints): ArnScope {
  const [, , , region, account] = lanes.critical.queueArn.split(':');
  return { region: region || 'us-east-1', account: account || '000000000000' };
}

/**
 * Synthesizes (once per process per settings) the stack `environment` stands for and starts a check against it.
 * `deployed` replaces the synthesized stack, e.g. with a copy that lacks a grant.
 */
export function localIamCheck(environment: CheckedEnvironment, deployed?: DeployedStack): LocalIamCheck {
  const scope = localArnScope(environment.lanes);
  const stack =
    deployed ??
    deployedStack(environment.settingsInput, {
      ...scope,
      tableName: environment.tableName,
      lanes: environment.lanes,
      appSecretArn: environment.dispatcherEnvironment.appSecretArn,
    });
  const check = new IamPolicyCheck(stack);
  return { deployed: stack, check, scope, caller: (principal) => ({ check, principal, scope }) };
}
