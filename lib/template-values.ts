/**
 * Resolves the intrinsic functions of a synthesized CloudFormation template to the concrete values a deployment
 * would give them: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Sub` and the pseudo
 * parameters. Physical names come from a caller's table (e.g. the local emulators' queue and table names) or, for
 * resources it does not name, from CloudFormation's own scheme (`<stack>-<logicalId>-<12 characters>`), so sizes
 * measured on the result are the sizes AWS would see.
 */

/** A template resource as far as resolving needs it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** Where the resolved values live and what their resources are called. */
export interface DeploymentNames {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
  /** Physical name by logical id: queue name, table name, secret name (without Secrets Manager's suffix). */
  readonly physicalNames?: Readonly<Record<string, string>>;
  /**
   * Append Secrets Manager's random `-XXXXXX` to secret ARNs, as AWS does.
   * @default true
   */
  readonly secretSuffix?: boolean;
}

/** Raised for a template value this resolver does not know how to resolve; the message names it. */
export class TemplateValueError extends Error {
  override readonly name = 'TemplateValueError';
}

/** CloudFormation's generated physical name: stack name, logical id and 12 random characters, at most `max` long. */
export function generatedName(stackName: string, logicalId: string, max = 80): string {
  const suffix = '-ABCDEFGHIJKL';
  return `${`${stackName}-${logicalId}`.slice(0, max - suffix.length)}${suffix}`;
}

/** `Ref` and `Fn::GetAtt` values of one resource. */
function valuesOf(logicalId: string, resource: TemplateResource, names: DeploymentNames): Record<string, string> {
  const { account, region } = names;
  const given = names.physicalNames?.[logicalId];
  const props = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::SQS::Queue': {
      const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
      const name = given ?? `${generatedName(names.stackName, logicalId, fifo ? 75 : 80)}${fifo ? '.fifo' : ''}`;
      return {
        Ref: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
        Arn: `arn:aws:sqs:${region}:${account}:${name}`,
        QueueName: name,
        QueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
      };
    }
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': {
      const name = given ?? generatedName(names.stackName, logicalId, 255);
      const arn = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      return { Ref: name, Arn: arn, StreamArn: `${arn}/stream/1970-01-01T00:00:00.000` };
    }
    case 'AWS::SecretsManager::Secret': {
      const name = given ?? (typeof props.Name === 'string' ? props.Name : `${logicalId}-ABCDEFGHIJKL`);
      const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${name}${names.secretSuffix === false ? '' : '-AbCdEf'}`;
      return { Ref: arn, Id: arn };
    }
    case 'AWS::IAM::Role': {
      const name = given ?? generatedName(names.stackName, logicalId, 64);
      return { Ref: name, Arn: `arn:aws:iam::${account}:role/${name}`, RoleId: `AROA${logicalId.slice(0, 17)}` };
    }
    case 'AWS::Logs::LogGroup': {
      const name = given ?? (typeof props.LogGroupName === 'string' ? props.LogGroupName : `/aws/${logicalId}`);
      return { Ref: name, Arn: `arn:aws:logs:${region}:${account}:log-group:${name}:*` };
    }
    case 'AWS::Lambda::Function': {
      const name = given ?? generatedName(names.stackName, logicalId, 64);
      return { Ref: name, Arn: `arn:aws:lambda:${region}:${account}:function:${name}` };
    }
    case 'AWS::SNS::Topic': {
      const name = given ?? generatedName(names.stackName, logicalId, 256);
      const arn = `arn:aws:sns:${region}:${account}:${name}`;
      return { Ref: arn, TopicArn: arn, TopicName: name };
    }
    default: {
      const name = given ?? generatedName(names.stackName, logicalId);
      return { Ref: name, Arn: `arn:aws:unknown:${region}:${account}:${name}` };
    }
  }
}

/**
 * A resolver for one template: `resolve(value)` returns `value` with every intrinsic function replaced by the
 * string a deployment with `names` would produce.
 * @throws TemplateValueError for a reference to a missing resource or an unsupported function.
 */
export function templateResolver(
  resources: Readonly<Record<string, TemplateResource>>,
  names: DeploymentNames,
): (value: unknown) => unknown {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': names.account,
    'AWS::Region': names.region,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': names.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${names.region}:${names.account}:stack/${names.stackName}/00000000-0000-0000-0000-000000000000`,
    'AWS::NoValue': '',
  };
  const cache = new Map<string, Record<string, string>>();
  const of = (logicalId: string): Record<string, string> => {
    const cached = cache.get(logicalId);
    if (cached) return cached;
    const resource = resources[logicalId];
    if (resource === undefined) throw new TemplateValueError(`the template has no resource ${logicalId}`);
    const values = valuesOf(logicalId, resource, names);
    cache.set(logicalId, values);
    return values;
  };
  const attribute = (logicalId: string, name: string): string => {
    const value = of(logicalId)[name];
    if (value === undefined) {
      throw new TemplateValueError(`cannot resolve Fn::GetAtt ${logicalId}.${name} (${resources[logicalId]?.Type})`);
    }
    return value;
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = record[fn];
      switch (fn) {
        case 'Ref':
          return pseudo[arg as string] ?? attribute(arg as string, 'Ref');
        case 'Fn::GetAtt': {
          const [id, name] = Array.isArray(arg) ? arg : String(arg).split('.');
          return attribute(String(id), String(name));
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (resolve(parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (resolve(list) as unknown[])[Number(resolve(index))];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(resolve(source)).split(separator);
        }
        case 'Fn::Sub': {
          const [template, variables = {}] = Array.isArray(arg) ? arg : [arg, {}];
          const vars = resolve(variables) as Record<string, unknown>;
          return String(template).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return String(vars[name]);
            if (name in pseudo) return pseudo[name] as string;
            const [id, att] = name.split('.');
            return att === undefined ? attribute(name, 'Ref') : attribute(String(id), att);
          });
        }
        default:
          if (fn.startsWith('Fn::') || fn === 'Condition') {
            throw new TemplateValueError(`cannot resolve ${fn} in ${JSON.stringify(value)}`);
          }
      }
    }
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, resolve(inner)]));
  };
  return resolve;
}
