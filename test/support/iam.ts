import type { DeployedStack, PrincipalName } from '../../local/iam/deployed-stack';

type Statement = { Action?: string | string[]; [key: string]: unknown };

/** A copy of `deployed` in which `principal`'s policies no longer grant `action` (every other grant kept). */
export function withoutGrant(deployed: DeployedStack, principal: PrincipalName, action: string): DeployedStack {
  const who = deployed.principals[principal];
  const policies = who.policies.map(({ name, policy }) => {
    const document = policy as { Statement: Statement[] };
    const statements = document.Statement.flatMap((statement) => {
      const actions = ([] as string[]).concat(statement.Action ?? []);
      if (!actions.includes(action)) return [statement];
      const kept = actions.filter((a) => a !== action);
      return kept.length === 0 ? [] : [{ ...statement, Action: kept }];
    });
    return { name, policy: { ...document, Statement: statements } };
  });
  return { ...deployed, principals: { ...deployed.principals, [principal]: { ...who, policies } } };
}
