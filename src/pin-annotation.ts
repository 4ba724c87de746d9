/**
 * The annotation that opts a namespace in (`enabled`, read by kube/namespaces.ts) and a Pod or a
 * workload out (`disabled`, read by admission/policy.ts).
 */
export const PIN_ANNOTATION = 'digest-pinner.io/pin';

export const PinAnnotationValues = { enabled: 'enabled', disabled: 'disabled' } as const;
