/**
 * A token server for docker-registry's `auth.token` mode, as the distribution token spec
 * describes one: GET with Basic credentials (or none) or an OAuth2 POST (refresh-token or
 * password grant), answered with an RS256 JWT whose `x5c` header carries the signing certificate
 * the registry trusts. It records every request so tests can count them.
 */
import { randomUUID, sign } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SigningCertificate } from './certificates.js';

export interface TokenServerUser {
  readonly name: string;
  readonly password: string;
}

export interface TokenServerOptions {
  readonly signing: SigningCertificate;
  /** Must equal the registry's `auth.token.issuer`. */
  readonly issuer: string;
  /** Must equal the registry's `auth.token.service`; becomes the token's `aud`. */
  readonly service: string;
  readonly users?: readonly TokenServerUser[];
  /** Refresh token → user name, for the OAuth2 refresh-token grant (docker's identity tokens). */
  readonly refreshTokens?: Readonly<Record<string, string>>;
  /** Anonymous requests get `pull` (a public registry). Default false: they get no access. */
  readonly anonymousPull?: boolean;
  /** `expires_in` of issued tokens. Default 300. */
  readonly expiresInSeconds?: number;
  /** Serve https with this certificate instead of http. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

export interface TokenRequestRecord {
  readonly method: string;
  /** `password` (GET with Basic, or POST), `refresh_token`, or `anonymous`. */
  readonly grant: string;
  /** The authenticated user, if any. */
  readonly user: string | undefined;
  readonly scopes: readonly string[];
  readonly service: string | undefined;
  readonly status: number;
}

export interface TokenServer {
  /** The realm URL to configure in the registry, e.g. `http://127.0.0.1:PORT/token`. */
  readonly realm: string;
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** Every request so far, in order. */
  readonly requests: readonly TokenRequestRecord[];
  stop(): Promise<void>;
}

interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: string[];
}

type Grant =
  | { readonly kind: 'user'; readonly user: string; readonly grant: string }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'refused'; readonly grant: string };

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function signToken(
  options: TokenServerOptions,
  subject: string,
  access: readonly Access[],
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256', x5c: [options.signing.derBase64] };
  const claims = {
    iss: options.issuer,
    sub: subject,
    aud: options.service,
    exp: now + (options.expiresInSeconds ?? 300),
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('RSA-SHA256', Buffer.from(unsigned), options.signing.keyPem);
  return `${unsigned}.${base64url(signature)}`;
}

/** `repository:name:pull,push` → what this requester may have of it. */
function grantedAccess(
  scope: string,
  authenticated: boolean,
  anonymousPull: boolean,
): Access | undefined {
  const match = /^(repository):(.+):([a-z*,]+)$/.exec(scope);
  if (match === null) return undefined;
  const [, type = '', name = '', requested = ''] = match;
  const allowed = authenticated ? ['pull', 'push'] : anonymousPull ? ['pull'] : [];
  const actions = requested.split(',').filter((action) => allowed.includes(action));
  return { type, name, actions };
}

function userFromBasic(header: string | undefined, users: readonly TokenServerUser[]): Grant {
  if (header === undefined) return { kind: 'anonymous' };
  const [scheme, encoded = ''] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic') return { kind: 'refused', grant: 'password' };
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [name, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  const known = users.some((user) => user.name === name && user.password === password);
  return known
    ? { kind: 'user', user: name, grant: 'password' }
    : { kind: 'refused', grant: 'password' };
}

function userFromForm(form: URLSearchParams, options: TokenServerOptions): Grant {
  const grantType = form.get('grant_type') ?? '';
  if (grantType === 'refresh_token') {
    const user = options.refreshTokens?.[form.get('refresh_token') ?? ''];
    return user === undefined
      ? { kind: 'refused', grant: grantType }
      : { kind: 'user', user, grant: grantType };
  }
  if (grantType === 'password') {
    const name = form.get('username') ?? '';
    const known = (options.users ?? []).some(
      (u) => u.name === name && u.password === form.get('password'),
    );
    return known
      ? { kind: 'user', user: name, grant: grantType }
      : { kind: 'refused', grant: grantType };
  }
  return { kind: 'refused', grant: grantType };
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const requests: TokenRequestRecord[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://token.invalid');
    const form = request.method === 'POST' ? await readForm(request) : url.searchParams;
    const grant =
      request.method === 'POST'
        ? userFromForm(form, options)
        : userFromBasic(request.headers.authorization, options.users ?? []);
    const scopes = form
      .getAll('scope')
      .flatMap((scope) => scope.split(' '))
      .filter((s) => s !== '');
    const record = {
      method: request.method ?? '',
      grant: grant.kind === 'anonymous' ? 'anonymous' : grant.grant,
      user: grant.kind === 'user' ? grant.user : undefined,
      scopes,
      service: form.get('service') ?? undefined,
    };
    if (url.pathname !== '/token' || grant.kind === 'refused') {
      const status = url.pathname !== '/token' ? 404 : 401;
      requests.push({ ...record, status });
      sendJson(response, status, {
        errors: [{ code: status === 404 ? 'NOT_FOUND' : 'UNAUTHORIZED', message: 'refused' }],
      });
      return;
    }
    const authenticated = grant.kind === 'user';
    const access = scopes
      .map((scope) => grantedAccess(scope, authenticated, options.anonymousPull ?? false))
      .filter((entry): entry is Access => entry !== undefined);
    const token = signToken(options, authenticated ? grant.user : '', access);
    const expiresIn = options.expiresInSeconds ?? 300;
    requests.push({ ...record, status: 200 });
    const answer =
      request.method === 'POST'
        ? { access_token: token, token_type: 'Bearer', expires_in: expiresIn }
        : {
            token,
            access_token: token,
            expires_in: expiresIn,
            issued_at: new Date().toISOString(),
          };
    sendJson(response, 200, answer);
  };

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  };
  const server =
    options.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  const scheme = options.tls === undefined ? 'http' : 'https';
  return {
    realm: `${scheme}://${host}/token`,
    host,
    requests,
    stop: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
