/**
 * The two servers under test, started the same way on the server core with the same
 * certificate: the built digest-pinner binary (`node dist/main.js serve`, standalone with a
 * docker config, or in cluster mode with a kubeconfig), and the no-op webhook.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CpuPlan } from './cpu-pinning.js';
import { freePort, isolatedEnvironment, ServerProcess } from './server-process.js';
import type { TestBed } from './test-bed.js';

/** The binary users run, built by `make build`; the benchmark is compiled to dist-bench/. */
export const DIGEST_PINNER_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const NOOP_WEBHOOK = fileURLToPath(new URL('./noop-webhook.js', import.meta.url));

export interface PinnerOptions {
  /** Cluster mode: the kubeconfig of the Kubernetes API double, and the webhook's namespace. */
  readonly kubeconfig?: string;
  readonly name?: string;
}

export async function startPinner(
  bed: TestBed,
  cpu: CpuPlan,
  options: PinnerOptions = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const metricsPort = await freePort();
  const args = [
    'serve',
    '--address',
    '127.0.0.1',
    '--port',
    String(port),
    '--metrics-port',
    String(metricsPort),
    '--tls-cert',
    bed.tls.certFile,
    '--tls-key',
    bed.tls.keyFile,
    ...bed.insecureHosts.flatMap((host) => ['--insecure-registry', host]),
  ];
  const mode =
    options.kubeconfig === undefined
      ? ['--docker-config', bed.dockerConfigFile]
      : ['--kubeconfig', options.kubeconfig, '--namespace', 'digest-pinner-system'];
  const name = options.name ?? 'digest-pinner';
  return ServerProcess.start({
    name,
    script: DIGEST_PINNER_MAIN,
    args: [...args, ...mode],
    env: isolatedEnvironment(bed.directory),
    cpu,
    logFile: join(bed.directory, `${name.replaceAll(/\W+/g, '-')}.log`),
    port,
    metricsPort,
    caPem: bed.tls.caPem,
    timed: true,
  });
}

/** The no-op webhook on express, or (`raw`) on `node:https`'s request listener alone. */
export async function startNoopWebhook(
  bed: TestBed,
  cpu: CpuPlan,
  kind: 'express' | 'raw' = 'express',
): Promise<ServerProcess> {
  const port = await freePort();
  return ServerProcess.start({
    name: kind === 'raw' ? 'raw no-op webhook' : 'no-op webhook',
    script: NOOP_WEBHOOK,
    args: [
      '--port',
      String(port),
      '--tls-cert',
      bed.tls.certFile,
      '--tls-key',
      bed.tls.keyFile,
      ...(kind === 'raw' ? ['--raw'] : []),
    ],
    env: isolatedEnvironment(bed.directory),
    cpu,
    logFile: join(bed.directory, `noop-webhook-${kind}.log`),
    port,
    caPem: bed.tls.caPem,
    timed: true,
  });
}
