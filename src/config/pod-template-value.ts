/**
 * The value of `--pod-template KIND[.GROUP]=PATH`: a custom kind and the dotted path from its
 * root to its pod template (`Rollout.argoproj.io=spec.template`), repeatable. Checked as the API
 * server checks names, so that a rule that could never match (a resource name, a lower-case
 * kind, a path with an empty field) is a configuration error rather than a kind never pinned.
 */
import {
  describePodTemplateRule,
  isBuiltInKind,
  workloadKinds,
  type PodTemplateRule,
} from '../admission/workload-kinds.js';
import { errorMessage } from '../errors.js';
import { repeatable, type OptionValue, type ValueType } from './option-value.js';

const EXAMPLE = 'e.g. Rollout.argoproj.io=spec.template';
/** A kind as CRDs name it: its lower-case form is a DNS-1035 label. */
const KIND_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
/** A DNS-1123 subdomain, as API groups are. */
const GROUP_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GROUP_MAX_LENGTH = 253;
const FIELD_PATTERN = /^[A-Za-z0-9_-]{1,253}$/;
/** `.` alone: the object is its own pod template, its `spec` a pod spec, as a Pod's is. */
const OBJECT_ITSELF = '.';

/** Quoted as JSON: a control character in a value must not reach the terminal raw. */
function quoted(text: string): string {
  return JSON.stringify(text);
}

export function parsePodTemplateRule(raw: string): PodTemplateRule {
  const equals = raw.indexOf('=');
  if (equals < 0) throw new Error(`${quoted(raw)} is not KIND[.GROUP]=PATH (${EXAMPLE})`);
  const kindAndGroup = raw.slice(0, equals).trim();
  const dot = kindAndGroup.indexOf('.');
  const kind = dot < 0 ? kindAndGroup : kindAndGroup.slice(0, dot);
  const group = dot < 0 ? undefined : kindAndGroup.slice(dot + 1);
  checkKind(kind, raw);
  if (group !== undefined) checkGroup(group, raw);
  if (group !== undefined && isBuiltInKind(group, kind)) {
    const builtIn = workloadKinds().templatePath({ group, kind }) ?? [];
    throw new Error(
      `${quoted(raw)}: ${kind}.${group} is built in (${describePodTemplateRule({ group, kind, templatePath: builtIn })})`,
    );
  }
  return { group, kind, templatePath: parsePath(raw.slice(equals + 1).trim(), raw) };
}

function checkKind(kind: string, raw: string): void {
  if (kind.length === 0) throw new Error(`${quoted(raw)} names no kind (${EXAMPLE})`);
  if (!KIND_PATTERN.test(kind)) {
    throw new Error(`${quoted(raw)}: ${quoted(kind)} is not a kind (letters and digits, up to 63)`);
  }
  if (/^[a-z]/.test(kind)) {
    throw new Error(
      `${quoted(raw)}: ${quoted(kind)} is lower-case; a kind is written as manifests write it (Rollout, not rollouts)`,
    );
  }
}

function checkGroup(group: string, raw: string): void {
  const labels = group.split('.');
  if (
    group.length > GROUP_MAX_LENGTH ||
    !labels.every((label) => GROUP_LABEL_PATTERN.test(label))
  ) {
    throw new Error(
      `${quoted(raw)}: ${quoted(group)} is not an API group (lower-case DNS name, e.g. argoproj.io)`,
    );
  }
}

function parsePath(path: string, raw: string): readonly string[] {
  if (path === OBJECT_ITSELF) return [];
  const fields = path.split('.');
  if (path.length === 0 || !fields.every((field) => FIELD_PATTERN.test(field))) {
    throw new Error(
      `${quoted(raw)}: ${quoted(path)} is not a PATH of field names separated by dots (or . for the object itself), e.g. spec.template`,
    );
  }
  // Read through plain objects, `__proto__` or `constructor` would lead out of the manifest.
  const reserved = fields.find((field) => field in Object.prototype);
  if (reserved !== undefined) {
    throw new Error(`${quoted(raw)}: ${quoted(reserved)} is not a field a manifest can have`);
  }
  return fields;
}

/** The same kind given two paths is a mistake to name, not a choice to make silently. */
function withoutConflicts(rules: readonly PodTemplateRule[]): readonly PodTemplateRule[] {
  const seen = new Map<string, PodTemplateRule>();
  for (const rule of rules) {
    const key = `${rule.kind}.${rule.group ?? '*'}`;
    const earlier = seen.get(key);
    if (earlier !== undefined && earlier.templatePath.join('.') !== rule.templatePath.join('.')) {
      throw new Error(
        `${describePodTemplateRule(earlier)} and ${describePodTemplateRule(rule)} give one kind two paths`,
      );
    }
    seen.set(key, rule);
  }
  return [...seen.values()];
}

const POD_TEMPLATE_RULE: ValueType<PodTemplateRule> = {
  placeholder: 'KIND[.GROUP]=PATH',
  parse: parsePodTemplateRule,
  completion: 'none',
};

/** Every bad value named, not only the first. */
function readRules(raws: readonly string[]): readonly PodTemplateRule[] {
  const rules: PodTemplateRule[] = [];
  const problems: string[] = [];
  for (const raw of raws) {
    try {
      rules.push(parsePodTemplateRule(raw));
    } catch (error: unknown) {
      problems.push(errorMessage(error));
    }
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return withoutConflicts(rules);
}

export const POD_TEMPLATES: OptionValue<readonly PodTemplateRule[]> = {
  ...repeatable(POD_TEMPLATE_RULE),
  read: readRules,
};
