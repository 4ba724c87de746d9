/**
 * A workload's `spec.selector` (a metav1.LabelSelector: `matchLabels` and `matchExpressions`) in
 * the string form a list's `labelSelector` parameter takes, as client-go's
 * LabelSelectorAsSelector writes it: `app=web,tier in (a,b),!canary`. Read from untrusted JSON:
 * a selector that is not well formed gives no string, and the caller lists without one.
 */
import { arrayField, isJsonObject, stringField, type JsonObject } from '../lib/json-object.js';

/** A label key: an optional DNS-subdomain prefix and `/`, then a name of 63 characters at most. */
const KEY =
  /^(?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or 63 characters at most that begin and end alphanumeric. */
const VALUE = /^(?:[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * The selector as a query string, or undefined when it is malformed. An empty selector matches
 * everything and gives the empty string.
 */
export function labelSelectorQuery(selector: JsonObject | undefined): string | undefined {
  if (selector === undefined) return undefined;
  const terms: string[] = [];
  const matchLabels = selector.matchLabels;
  if (matchLabels !== undefined) {
    if (!isJsonObject(matchLabels)) return undefined;
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value !== 'string' || !KEY.test(key) || !VALUE.test(value)) return undefined;
      terms.push(`${key}=${value}`);
    }
  }
  for (const expression of arrayField(selector, 'matchExpressions')) {
    const term = isJsonObject(expression) ? expressionTerm(expression) : undefined;
    if (term === undefined) return undefined;
    terms.push(term);
  }
  // client-go sorts the requirements by key; the server reads them in any order.
  return terms.sort().join(',');
}

function expressionTerm(expression: JsonObject): string | undefined {
  const key = stringField(expression, 'key');
  if (key === undefined || !KEY.test(key)) return undefined;
  const values = arrayField(expression, 'values');
  const valid = values.every((value) => typeof value === 'string' && VALUE.test(value));
  if (!valid) return undefined;
  const list = `(${[...(values as string[])].sort().join(',')})`;
  switch (stringField(expression, 'operator')) {
    case 'In':
      return values.length === 0 ? undefined : `${key} in ${list}`;
    case 'NotIn':
      return values.length === 0 ? undefined : `${key} notin ${list}`;
    case 'Exists':
      return values.length === 0 ? key : undefined;
    case 'DoesNotExist':
      return values.length === 0 ? `!${key}` : undefined;
    default:
      return undefined;
  }
}
