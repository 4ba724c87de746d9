import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { PIN_LABEL } from '../../src/image/pin-annotation.js';
import {
  findObject,
  kustomizeBuild,
  kustomizeComposition,
  objectKey,
  type ManifestObject,
} from './kustomize.js';
import { namespaceLabels, selectorMatches } from './label-selector.js';

let base: ManifestObject[];
let labelOptIn: ManifestObject[];
beforeAll(() => {
  base = kustomizeBuild('base');
  labelOptIn = kustomizeComposition(['components/label-opt-in']);
});

const webhookOf = (build: readonly ManifestObject[]) =>
  findObject(build, MutatingWebhookConfiguration, 'digest-pinner').webhooks![0]!;

/** Whether the API server would call the webhook for a pod in this namespace. */
function calledFor(build: readonly ManifestObject[], name: string, labels = {}): boolean {
  return selectorMatches(webhookOf(build).namespaceSelector!, {
    ...labels,
    ...namespaceLabels(name),
  });
}

describe('manifests/components/label-opt-in', () => {
  it('calls the webhook only for namespaces labelled digest-pinner.io/pin=enabled', () => {
    const enabled = { [PIN_LABEL]: 'enabled' };

    expect(calledFor(labelOptIn, 'team-a', enabled)).toBe(true);
    expect(calledFor(labelOptIn, 'team-b')).toBe(false);
    expect(calledFor(labelOptIn, 'team-c', { [PIN_LABEL]: 'disabled' })).toBe(false);
    expect(calledFor(labelOptIn, 'kube-system', enabled)).toBe(false);
    expect(calledFor(labelOptIn, 'digest-pinner-system', enabled)).toBe(false);
  });

  it('is what the base lacks: there every namespace but its own and kube-system calls it', () => {
    expect(calledFor(base, 'team-b')).toBe(true);
    expect(calledFor(base, 'kube-system')).toBe(false);
  });

  it('changes nothing else: the same objects, the same webhook settings', () => {
    expect(labelOptIn.map(objectKey).sort()).toEqual(base.map(objectKey).sort());
    const withoutSelector = (build: readonly ManifestObject[]) => ({
      ...webhookOf(build),
      namespaceSelector: undefined,
    });
    expect(withoutSelector(labelOptIn)).toEqual(withoutSelector(base));
  });

  it('combines with the pods-only and cert-manager components', () => {
    const build = kustomizeComposition([
      'components/cert-manager',
      'components/pods-only',
      'components/label-opt-in',
    ]);

    expect(webhookOf(build).namespaceSelector).toEqual(webhookOf(labelOptIn).namespaceSelector);
    expect(webhookOf(build).rules?.map((rule) => rule.resources)).toEqual([
      ['pods', 'pods/ephemeralcontainers'],
    ]);
  });
});
