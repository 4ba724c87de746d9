/**
 * Serving an express app over HTTPS on 127.0.0.1:0 with a fresh self-signed certificate, and a
 * client that trusts exactly that certificate's CA.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import { Agent, request } from 'undici';
import {
  createSelfSignedServingCertificate,
  type ServingCertificate,
} from '../../src/tls/certificates.js';

let sharedCertificate: ServingCertificate | undefined;

/** One certificate per test process: RSA key generation is the slow part. */
export function testCertificate(): ServingCertificate {
  sharedCertificate ??= createSelfSignedServingCertificate({
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    validityDays: 1,
  });
  return sharedCertificate;
}

export interface RunningHttpsServer {
  readonly server: Server;
  readonly url: string;
  readonly client: HttpsTestClient;
  close(): Promise<void>;
}

export async function serveHttps(app: RequestListener): Promise<RunningHttpsServer> {
  const certificate = testCertificate();
  const server = createServer({ cert: certificate.certPem, key: certificate.keyPem }, app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  const client = new HttpsTestClient(url, certificate.caPem);
  return {
    server,
    url,
    client,
    close: async () => {
      await client.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly contentType: string | undefined;
}

export class HttpsTestClient {
  readonly #agent: Agent;

  constructor(
    readonly baseUrl: string,
    caPem: string,
  ) {
    this.#agent = new Agent({ connect: { ca: caPem } });
  }

  /** `signal` abandons the request, closing it before the answer if it has not come yet. */
  async post(path: string, body: string | object, signal?: AbortSignal): Promise<JsonAnswer> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return this.#send('POST', path, payload, undefined, signal);
  }

  /** Bytes as given, with these headers instead of the JSON content type. */
  async postRaw(
    path: string,
    payload: string | Buffer,
    headers: Readonly<Record<string, string>>,
  ): Promise<JsonAnswer> {
    return this.#send('POST', path, payload, headers);
  }

  async get(path: string): Promise<JsonAnswer> {
    return this.#send('GET', path, undefined);
  }

  async #send(
    method: 'GET' | 'POST',
    path: string,
    payload: string | Buffer | undefined,
    headers: Readonly<Record<string, string>> = { 'content-type': 'application/json' },
    signal?: AbortSignal,
  ): Promise<JsonAnswer> {
    const response = await request(`${this.baseUrl}${path}`, {
      method,
      signal,
      body: payload,
      headers,
      dispatcher: this.#agent,
    });
    const text = await response.body.text();
    const contentType = response.headers['content-type'];
    const isJson = typeof contentType === 'string' && contentType.includes('json');
    return {
      status: response.statusCode,
      body: isJson ? (JSON.parse(text) as unknown) : text,
      contentType: typeof contentType === 'string' ? contentType : undefined,
    };
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
