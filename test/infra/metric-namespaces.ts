/**
 * What a synthesized template reads from CloudWatch: every namespace named by its alarms (a metric's `Namespace`, a
 * Metrics Insights query's `FROM`) and by its dashboard (a graph's metrics, its SEARCH expressions), and the
 * namespace its functions publish to.
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** Where a template names a namespace. */
export type ReferenceKind = 'alarm metric' | 'alarm query' | 'dashboard metric' | 'dashboard search';

/** One namespace named by a template. */
export interface NamespaceReference {
  /** The alarm's logical id, or the dashboard's. */
  readonly resource: string;
  readonly kind: ReferenceKind;
  /** The namespace, with every CloudFormation token read as `TOKEN`. */
  readonly namespace: string;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** `value` as a string, a `Fn::Join` joined with each token read as `TOKEN`. */
function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (join !== undefined) return join[1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(join[0]);
  return 'TOKEN';
}

/**
 * The namespaces a metric math expression reads: a Metrics Insights `FROM "…"` or a SEARCH schema `{"…",…}`. An
 * expression that reads metrics in a form not recognised here yields `(unrecognised: …)`, so no reference slips by.
 */
export function expressionNamespaces(expression: string): string[] {
  const found = [
    ...[...expression.matchAll(/\bFROM\s+"([^"]*)"/g)].map((m) => m[1] as string),
    ...[...expression.matchAll(/SEARCH\(\s*'\s*\{\s*"([^"]*)"/g)].map((m) => m[1] as string),
  ];
  if (found.length === 0 && /\b(SELECT|SEARCH)\b/.test(expression)) return [`(unrecognised: ${expression})`];
  return found;
}

/** Every namespace `template`'s alarms and dashboards read. */
export function namespaceReferences(template: Template): NamespaceReference[] {
  const references: NamespaceReference[] = [];
  const resources = template.toJSON().Resources as Record<string, Resource>;
  for (const [resource, { Type, Properties = {} }] of Object.entries(resources)) {
    if (Type === 'AWS::CloudWatch::Alarm') {
      if (Properties.Namespace !== undefined) {
        references.push({ resource, kind: 'alarm metric', namespace: flat(Properties.Namespace) });
      }
      for (const query of (Properties.Metrics as Array<Record<string, unknown>> | undefined) ?? []) {
        const stat = query.MetricStat as { Metric: { Namespace: unknown } } | undefined;
        if (stat !== undefined)
          references.push({ resource, kind: 'alarm metric', namespace: flat(stat.Metric.Namespace) });
        if (query.Expression !== undefined) {
          for (const namespace of expressionNamespaces(flat(query.Expression))) {
            references.push({ resource, kind: 'alarm query', namespace });
          }
        }
      }
    }
    if (Type === 'AWS::CloudWatch::Dashboard') {
      const body = JSON.parse(flat(Properties.DashboardBody)) as {
        widgets: { properties: { metrics?: unknown[][] } }[];
      };
      for (const metric of body.widgets.flatMap((widget) => widget.properties.metrics ?? [])) {
        const head = metric[0];
        if (typeof head === 'string') references.push({ resource, kind: 'dashboard metric', namespace: head });
        const expression = (head as { expression?: string }).expression;
        if (expression !== undefined) {
          for (const namespace of expressionNamespaces(expression)) {
            references.push({ resource, kind: 'dashboard search', namespace });
          }
        }
      }
    }
  }
  return references;
}

/** The namespaces of `references` that are not an AWS service's (`AWS/…`), each once, sorted. */
export function customNamespaces(references: readonly NamespaceReference[]): string[] {
  return [...new Set(references.map((r) => r.namespace).filter((n) => !n.startsWith('AWS/')))].sort();
}

/** `POWERTOOLS_METRICS_NAMESPACE` of each function in `template`, by its `POWERTOOLS_SERVICE_NAME`. */
export function publishedNamespaces(template: Template): Record<string, string> {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  return Object.fromEntries(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {})
      .filter((variables) => variables.POWERTOOLS_METRICS_NAMESPACE !== undefined)
      .map((variables) => [flat(variables.POWERTOOLS_SERVICE_NAME), flat(variables.POWERTOOLS_METRICS_NAMESPACE)]),
  );
}
