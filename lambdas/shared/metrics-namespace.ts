/**
 * CloudWatch's rules for a metric namespace, checked where a gate's namespace is chosen (the construct) and where
 * it is read (the functions' cold start), so a bad one fails there instead of every metric being dropped.
 */

/** CloudWatch's longest namespace. */
export const METRICS_NAMESPACE_MAX_LENGTH = 255;

/** The characters CloudWatch allows in a namespace: letters, digits, `.`, `-`, `_`, `/`, `#`, `:` and space. */
const NAMESPACE_CHARACTERS = /^[0-9A-Za-z._\-/#: ]*$/;

/** Why `namespace` cannot be a CloudWatch namespace, naming it; undefined when it can. Pure. */
export function metricsNamespaceProblem(namespace: string): string | undefined {
  const named = `metrics namespace ${JSON.stringify(namespace)}`;
  if (namespace.length < 1 || namespace.length > METRICS_NAMESPACE_MAX_LENGTH) {
    return `${named} must be 1 to ${METRICS_NAMESPACE_MAX_LENGTH} characters long (it has ${namespace.length})`;
  }
  if (!NAMESPACE_CHARACTERS.test(namespace)) {
    return `${named} may hold only letters, digits, spaces and . - _ / # : (CloudWatch's namespace characters)`;
  }
  if (namespace.trim() === '') return `${named} must hold at least one character other than a space`;
  if (namespace.startsWith(':')) return `${named} must not start with ':'`;
  if (namespace.startsWith('AWS/'))
    return `${named} must not start with 'AWS/': CloudWatch keeps those for AWS services`;
  return undefined;
}
