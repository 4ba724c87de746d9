/**
 * What `serve` takes from its surroundings, a cluster (commands/cluster.ts) or the local machine
 * (commands/serve.ts): whose pull credentials, which namespaces opt in, which is never mutated.
 */
import type { NamespacePolicy } from '../../admission/mutate.js';
import type { CredentialProvider } from '../../credentials/provider.js';

/** Where namespaces opt in: every namespace, or a watch of the cluster's annotations. */
export interface NamespaceSource extends NamespacePolicy {
  readonly synced: boolean;
  stop(): void | Promise<void>;
}

export const everyNamespace: NamespaceSource = {
  synced: true,
  isOptedIn: () => true,
  stop: () => undefined,
};

export interface CommonParts {
  readonly credentials: CredentialProvider;
  readonly namespaces: NamespaceSource;
  /** The namespace never mutated (the webhook's own). */
  readonly ownNamespace: string | undefined;
}
