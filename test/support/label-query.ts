/**
 * The `labelSelector` query parameter of a list, read as the API server reads it
 * (apimachinery's labels.Parse): comma-separated requirements `key`, `!key`, `key=value`,
 * `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, spaces allowed around the
 * operators. The Kubernetes API double filters lists with it; a selector it cannot parse is a 400.
 */
export type Labels = Readonly<Record<string, string>>;
export type LabelMatch = (labels: Labels) => boolean;

const KEY = '[A-Za-z0-9][A-Za-z0-9._/-]*';
const VALUE = '[A-Za-z0-9._-]*';
const EXISTS = new RegExp(`^(${KEY})$`);
const NOT_EXISTS = new RegExp(`^!\\s*(${KEY})$`);
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const SET_VALUE = new RegExp(`^${VALUE}$`);

/** The match `text` describes, or undefined when the API server would refuse it. */
export function parseLabelQuery(text: string): LabelMatch | undefined {
  if (text.trim() === '') return () => true;
  const requirements = splitRequirements(text).map((requirement) =>
    parseRequirement(requirement.trim()),
  );
  if (requirements.some((requirement) => requirement === undefined)) return undefined;
  return (labels) => requirements.every((requirement) => requirement?.(labels) === true);
}

/** Commas inside `( … )` separate values, not requirements. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of text) {
    if (character === '(') depth += 1;
    if (character === ')') depth -= 1;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  parts.push(current);
  return parts;
}

function parseRequirement(requirement: string): LabelMatch | undefined {
  const exists = EXISTS.exec(requirement);
  if (exists !== null) return (labels) => Object.hasOwn(labels, exists[1]!);
  const notExists = NOT_EXISTS.exec(requirement);
  if (notExists !== null) return (labels) => !Object.hasOwn(labels, notExists[1]!);
  const equality = EQUALITY.exec(requirement);
  if (equality !== null) {
    const [key, operator, value] = [equality[1]!, equality[2]!, equality[3]!];
    const equal = (labels: Labels) => Object.hasOwn(labels, key) && labels[key] === value;
    return operator === '!=' ? (labels) => !equal(labels) : equal;
  }
  const set = SET.exec(requirement);
  if (set === null) return undefined;
  const [key, operator, list] = [set[1]!, set[2]!, set[3]!];
  // `in ()` is the set of the empty value, as apimachinery reads it.
  const values = list.split(',').map((value) => value.trim());
  if (values.some((value) => !SET_VALUE.test(value))) return undefined;
  const member = (labels: Labels) => Object.hasOwn(labels, key) && values.includes(labels[key]!);
  return operator === 'in' ? member : (labels) => !member(labels);
}
