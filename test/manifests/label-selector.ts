/** Kubernetes label selector semantics (metav1.LabelSelector), to evaluate selectors in tests. */
export type Labels = Readonly<Record<string, string>>;

export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

/** An empty selector matches everything; every term must hold. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  if (!matchLabels.every(([key, value]) => labels[key] === value)) return false;
  return (selector.matchExpressions ?? []).every((expression) => {
    const value = labels[expression.key];
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown label selector operator ${expression.operator}`);
    }
  });
}

/** The labels the API server gives every Namespace (Kubernetes 1.21 and later). */
export function namespaceLabels(name: string): Labels {
  return { 'kubernetes.io/metadata.name': name };
}
