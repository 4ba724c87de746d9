/**
 * A loopback proxy that makes a registry far away: every answer is held back until `delayMs`
 * after its request arrived, as a registry across the internet answers tens of milliseconds
 * late. Held until then, not for `delayMs` more: the local registry's own time (a few ms, but
 * queued when ten requests share its one core) stays inside the delay, as a real registry's
 * many servers answer requests side by side. Plain http in front of a plain http registry.
 */
import { once } from 'node:events';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayingProxy {
  /** `127.0.0.1:PORT`: use it as the registry part of image references. */
  readonly host: string;
  /** Requests forwarded so far. */
  readonly forwarded: number;
  stop(): Promise<void>;
}

export async function startDelayingProxy(
  targetUrl: string,
  delayMs: number,
): Promise<DelayingProxy> {
  const target = new URL(targetUrl);
  let forwarded = 0;
  const timers = new Set<NodeJS.Timeout>();
  const forward = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    forwarded += 1;
    const arrived = performance.now();
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
          Math.max(0, arrived + delayMs - performance.now()),
        );
        timers.add(timer);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };
  const server = createServer(forward);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    get forwarded() {
      return forwarded;
    },
    stop: async () => {
      if (!server.listening) return;
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
