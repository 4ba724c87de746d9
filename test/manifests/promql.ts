/**
 * Reads PromQL with Prometheus's own grammar (@prometheus-io/lezer-promql, the parser of the
 * Prometheus UI): syntax errors, the series each expression selects with its label matchers, the
 * labels it groups by, and the functions it calls.
 */
import { parser } from '@prometheus-io/lezer-promql';

export interface LabelMatcher {
  readonly label: string;
  /** `=`, `!=`, `=~` or `!~`. */
  readonly operator: string;
  readonly value: string;
}

export interface SeriesSelector {
  readonly metric: string;
  readonly matchers: readonly LabelMatcher[];
}

export interface QueryAnalysis {
  /** Where the parser could not read the expression; empty when it parsed. */
  readonly syntaxErrors: readonly string[];
  readonly selectors: readonly SeriesSelector[];
  /** Labels of `by (…)`, `without (…)`, `on (…)` and `ignoring (…)` clauses. */
  readonly groupingLabels: readonly string[];
  readonly functions: readonly string[];
}

export function analyzeQuery(expression: string): QueryAnalysis {
  const text = (from: number, to: number) => expression.slice(from, to);
  const syntaxErrors: string[] = [];
  const selectors: SeriesSelector[] = [];
  const groupingLabels: string[] = [];
  const functions: string[] = [];

  parser.parse(expression).iterate({
    enter(node) {
      if (node.type.isError) {
        syntaxErrors.push(`at ${node.from}: "${text(Math.max(0, node.from - 20), node.to + 20)}"`);
      } else if (node.name === 'VectorSelector') {
        selectors.push(readSelector(node.node, text));
        return false;
      } else if (node.name === 'GroupingLabels') {
        for (const label of node.node.getChildren('LabelName')) {
          groupingLabels.push(text(label.from, label.to));
        }
      } else if (node.name === 'FunctionIdentifier') {
        functions.push(text(node.from, node.to));
      }
      return undefined;
    },
  });
  return { syntaxErrors, selectors, groupingLabels, functions };
}

type SyntaxNode = ReturnType<ReturnType<typeof parser.parse>['resolve']>;

function readSelector(
  node: SyntaxNode,
  text: (from: number, to: number) => string,
): SeriesSelector {
  const identifier = node.getChild('Identifier');
  const matchers: LabelMatcher[] = [];
  for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
    const label = matcher.getChild('LabelName');
    const operator = matcher.getChild('MatchOp');
    const value = matcher.getChild('StringLiteral');
    if (label === null || operator === null || value === null) continue;
    matchers.push({
      label: text(label.from, label.to),
      operator: text(operator.from, operator.to),
      value: JSON.parse(text(value.from, value.to).replace(/^'|'$/g, '"')) as string,
    });
  }
  return { metric: identifier === null ? '' : text(identifier.from, identifier.to), matchers };
}

/**
 * Grafana's variables replaced by values PromQL accepts, so a panel's query parses as Prometheus
 * will receive it: `$__rate_interval` and friends by a duration, any other `$name` or `${name}`
 * by a plain word.
 */
export function expandGrafanaVariables(query: string): string {
  return query
    .replace(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, '5m')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, 'variable');
}
