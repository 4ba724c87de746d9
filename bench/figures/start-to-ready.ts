/**
 * Figure 6: start to ready. The built binary, `node dist/main.js serve`, is spawned on the
 * server core as a user would first run it — standalone, no certificate files, so it makes its
 * own CA and serving certificate at start — and timed from the spawn to the first 200 from
 * GET /readyz (polled every 2 ms from the other core).
 */
import { join } from 'node:path';
import type { BenchContext } from '../bench-context.js';
import { figure, type Figure, type FigureSpec } from '../figure.js';
import { freePort, isolatedEnvironment, ServerProcess } from '../server-process.js';
import { DIGEST_PINNER_MAIN } from '../servers.js';

export const StartToReadySpecs = {
  selfSigned: {
    section: '6',
    label: 'start to ready (node dist/main.js serve)',
    unit: 'ms',
    target: { comparison: '<=', value: 1000 },
    note: 'standalone, self-signed certificate made at start; spawn → first 200 from /readyz',
  },
  withFiles: {
    section: '6',
    label: 'start to ready, with --tls-cert/--tls-key files',
    unit: 'ms',
  },
} as const satisfies Record<string, FigureSpec>;

async function startOnce(context: BenchContext, certificateFiles: boolean): Promise<number> {
  const { bed } = context;
  const port = await freePort();
  const files = certificateFiles
    ? ['--tls-cert', bed.tls.certFile, '--tls-key', bed.tls.keyFile]
    : [];
  const server = await ServerProcess.start({
    name: 'digest-pinner (start to ready)',
    script: DIGEST_PINNER_MAIN,
    args: [
      'serve',
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--metrics-port',
      String(await freePort()),
      ...files,
    ],
    env: isolatedEnvironment(bed.directory),
    cpu: context.cpu,
    logFile: join(bed.directory, 'start-to-ready.log'),
    port,
    caPem: undefined,
    timed: false,
  });
  await server.stop();
  return server.startToReadyMs;
}

export async function measureStartToReady(context: BenchContext): Promise<Figure[]> {
  const selfSigned: number[] = [];
  const withFiles: number[] = [];
  for (let run = 0; run < context.runs; run++) {
    selfSigned.push(await startOnce(context, false));
    withFiles.push(await startOnce(context, true));
  }
  return [
    figure(StartToReadySpecs.selfSigned, selfSigned),
    figure(StartToReadySpecs.withFiles, withFiles),
  ];
}
