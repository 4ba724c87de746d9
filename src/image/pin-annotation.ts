/**
 * The annotation that opts a namespace in (`enabled`, read by kube/namespaces.ts) and a Pod or a
 * workload out (`disabled`, read by admission/policy.ts); and the namespace label of the same key
 * and value, which opts in as well and which a webhook namespaceSelector can match
 * (manifests/components/label-opt-in).
 */
export const PIN_ANNOTATION = 'digest-pinner.io/pin';
export const PIN_LABEL = PIN_ANNOTATION;

export const PinAnnotationValues = { enabled: 'enabled', disabled: 'disabled' } as const;
