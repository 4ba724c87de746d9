/**
 * `digest-pinner history KIND/NAME`: a Deployment's, StatefulSet's or DaemonSet's rollout history
 * by digest, read from the cluster through the kubeconfig as `audit` reads it. Per revision: its
 * number, creation time, pods now, and per container the image as pinned, the original tag, the
 * digest and the provenance revision; the text marks what changed from the revision before,
 * what `kubectl rollout undo --to-revision=N` would bring back.
 */
import type { Config } from '../../config/config.js';
import type { Environment } from '../environment.js';
import { ConfigError } from '../../errors.js';
import { jsonReport, textReport } from '../../history/report.js';
import { parseWorkloadRef } from '../../history/workload-ref.js';
import { openClusterReader } from './cluster-reader.js';

export async function runHistory(
  config: Config,
  args: readonly string[],
  environment: Environment,
): Promise<number> {
  const [argument, ...more] = args;
  if (argument === undefined || more.length > 0) {
    throw new ConfigError([
      `history takes one workload, KIND/NAME (e.g. deployment/web); got ${args.length === 0 ? 'none' : `"${args.join(' ')}"`}`,
    ]);
  }
  const workload = parseWorkloadRef(argument);
  const { clients, contextNamespace } = await openClusterReader('history', config, environment);
  const { HistoryReader } = await import('../../history/history-reader.js');
  const reader = new HistoryReader({
    apps: clients.apps,
    core: clients.core,
    chunkSize: config.chunkSize,
    onExpired: (what) =>
      environment.stderr.write(
        `digest-pinner history: warning: ${what} expired while paging (410); the rest comes from a newer snapshot, so objects changed meanwhile may be missing or listed twice\n`,
      ),
  });
  const history = await reader.history(workload, config.auditNamespace ?? contextNamespace);
  environment.stdout.write(config.output === 'json' ? jsonReport(history) : textReport(history));
  return 0;
}
