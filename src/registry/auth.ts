/**
 * Registry authentication as the distribution token spec and real registries do it. A 401's
 * challenge says how: `Basic` → the credential's username and password; `Bearer` → a token from
 * the realm (GET with Basic credentials or anonymously; an identity token is exchanged with an
 * OAuth2 refresh-token POST; a registry token is used as is). The scheme each registry asked for
 * is remembered so that the next request authenticates pre-emptively, and tokens are cached, so
 * a warm resolution costs one request. authenticating-send.ts puts this around the transport.
 */
import { parseJsonObject } from '../lib/json-object.js';
import type { Clock } from '../lib/clock.js';
import { LRUCache } from 'lru-cache';
import type { Dispatcher } from 'undici';
import { credentialIdentity, type RegistryCredential } from '../credentials/credential.js';
import { BodyLimits } from './body.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { errorFromResponse } from './error-response.js';
import {
  RegistryProtocolError,
  RegistryTargetForbiddenError,
  RegistryUnauthorizedError,
  type RegistryErrorContext,
} from './errors.js';
import { checkRealm, ForbiddenTargetError, type InsecureHosts } from './target-guard.js';
import type { IssuedToken, TokenCache, TokenKey } from './token-cache.js';
import { readBody, type RegistryRequest, type RegistryTransport } from './transport.js';

/** Sent as `client_id` in refresh-token grants, as the token spec asks clients to. */
const OAUTH_CLIENT_ID = 'digest-pinner';
const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;

/** Whom a request is for, and with what. */
export interface AuthTarget {
  readonly registry: string;
  readonly repository: string;
  readonly credential: RegistryCredential | undefined;
  readonly signal: AbortSignal;
  /**
   * What the registry was reached through (its host's TLS settings), undefined for the
   * transport's own: its token requests go the same way, as containerd fetches tokens with the
   * host's own client.
   */
  readonly dispatcher: Dispatcher | undefined;
  /** Where that dispatcher's TLS settings are configured (a hosts.toml or a host folder). */
  readonly tlsConfiguredIn?: string | undefined;
  /** The request went over plain http: an http realm is then acceptable (target-guard.ts). */
  readonly reachedOverHttp: boolean;
}

type KnownChallenge =
  | { readonly scheme: 'basic' }
  | { readonly scheme: 'bearer'; readonly realm: string; readonly service: string };

export interface RegistryAuthenticatorOptions {
  readonly transport: RegistryTransport;
  readonly tokens: TokenCache;
  readonly insecure: InsecureHosts;
  /** Its wall time dates a token server's Retry-After. */
  readonly clock: Clock;
}

/** Bearer wins when a registry offers both, as Docker does. */
function usableChallenge(challenges: readonly Challenge[]): KnownChallenge | undefined {
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.has('realm'));
  if (bearer !== undefined) {
    return {
      scheme: 'bearer',
      realm: bearer.params.get('realm') ?? '',
      service: bearer.params.get('service') ?? '',
    };
  }
  return challenges.some((c) => c.scheme === 'basic') ? { scheme: 'basic' } : undefined;
}

function errorContext(
  target: AuthTarget,
  extra: Partial<RegistryErrorContext> = {},
): RegistryErrorContext {
  return { registry: target.registry, repository: target.repository, ...extra };
}

export function describeCredential(credential: RegistryCredential | undefined): string {
  return credential === undefined ? 'anonymously' : `with the credential from ${credential.source}`;
}

function basicAuthorization(credential: RegistryCredential | undefined): string | undefined {
  if (credential?.username === undefined || credential.password === undefined) return undefined;
  const pair = `${credential.username}:${credential.password}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

function repositoryScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function parseTokenAnswer(body: Buffer): IssuedToken | undefined {
  const fields = parseJsonObject(body.toString('utf8'));
  if (fields === undefined) return undefined;
  const token = [fields.token, fields.access_token].find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  if (token === undefined) return undefined;
  const expiresIn = fields.expires_in;
  const expiresInSeconds =
    typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
      ? expiresIn
      : DEFAULT_TOKEN_LIFETIME_SECONDS;
  return { token, expiresInSeconds };
}

export class RegistryAuthenticator {
  readonly #options: RegistryAuthenticatorOptions;
  /** Per registry, the challenge it answered with last. */
  readonly #challenges = new LRUCache<string, KnownChallenge>({ max: 1000 });
  /** A dispatcher has no name of its own for a token key: these are given out in turn. */
  readonly #dispatchers = new WeakMap<Dispatcher, string>();
  #dispatcherCount = 0;

  constructor(options: RegistryAuthenticatorOptions) {
    this.#options = options;
  }

  /** The Authorization to send before being asked, from what this registry asked for before. */
  async preemptive(target: AuthTarget): Promise<string | undefined> {
    const known = this.#challenges.get(target.registry);
    return known === undefined ? undefined : this.#authorize(known, target);
  }

  /**
   * After a 401: learns the registry's challenge and returns the Authorization to retry with.
   * `sent` is what the refused request carried; a refused cached token is forgotten.
   */
  async answer(
    target: AuthTarget,
    header: string | string[] | undefined,
    sent: string | undefined,
  ): Promise<string> {
    const context = errorContext(target, { status: 401 });
    const challenge = usableChallenge(parseChallenges(header));
    if (challenge === undefined) {
      throw new RegistryProtocolError('401 without a Basic or Bearer challenge', {
        ...context,
        detail: 'HTTP 401 without a Basic or Bearer challenge',
      });
    }
    this.#challenges.set(target.registry, challenge);
    if (challenge.scheme === 'bearer' && sent !== undefined) {
      this.#options.tokens.invalidate(this.#tokenKey(challenge, target));
    }
    const authorization = await this.#authorize(challenge, target);
    if (authorization === undefined) {
      const needs = target.credential === undefined ? 'credentials' : 'a username and password';
      throw new RegistryUnauthorizedError(`registry asks for Basic auth and ${needs}`, {
        ...context,
        detail: `Basic auth needs ${needs}`,
      });
    }
    if (authorization === sent) {
      throw new RegistryUnauthorizedError(`refused ${describeCredential(target.credential)}`, {
        ...context,
        detail: target.credential === undefined ? 'anonymous access refused' : 'credential refused',
      });
    }
    return authorization;
  }

  async #authorize(challenge: KnownChallenge, target: AuthTarget): Promise<string | undefined> {
    if (challenge.scheme === 'basic') return basicAuthorization(target.credential);
    const registryToken = target.credential?.registryToken;
    if (registryToken !== undefined) return `Bearer ${registryToken}`;
    const token = await this.#options.tokens.get(this.#tokenKey(challenge, target), () =>
      this.#requestToken(challenge, target),
    );
    return `Bearer ${token}`;
  }

  #tokenKey(challenge: { realm: string; service: string }, target: AuthTarget): TokenKey {
    return {
      realm: challenge.realm,
      service: challenge.service,
      scope: repositoryScope(target.repository),
      identity: credentialIdentity(target.credential),
      dispatcher: this.#dispatcherName(target.dispatcher),
    };
  }

  #dispatcherName(dispatcher: Dispatcher | undefined): string {
    if (dispatcher === undefined) return 'default';
    let name = this.#dispatchers.get(dispatcher);
    if (name === undefined) {
      name = `host-${this.#dispatcherCount++}`;
      this.#dispatchers.set(dispatcher, name);
    }
    return name;
  }

  #realmUrl(realm: string, target: AuthTarget): URL {
    try {
      const registry = { name: target.registry, reachedOverHttp: target.reachedOverHttp };
      return checkRealm(realm, registry, this.#options.insecure);
    } catch (error) {
      if (!(error instanceof ForbiddenTargetError)) throw error;
      throw new RegistryTargetForbiddenError(
        `token realm refused: ${error.message}`,
        errorContext(target, {
          cause: error,
          detail: `token realm ${error.host}: ${error.problem}`,
        }),
      );
    }
  }

  async #requestToken(
    challenge: { realm: string; service: string },
    target: AuthTarget,
  ): Promise<IssuedToken> {
    const request = this.#tokenRequest(challenge, target);
    const response = await this.#options.transport.send(request);
    if (response.statusCode !== 200) {
      if (response.statusCode === 404) {
        throw new RegistryProtocolError(
          `${request.action}: token endpoint not found (404)`,
          errorContext(target, { status: 404, detail: `HTTP 404 from ${request.url.host}` }),
        );
      }
      throw await errorFromResponse(response, request, this.#options.clock.now());
    }
    const { bytes, truncated } = await readBody(response, request, BodyLimits.token);
    const issued = truncated ? undefined : parseTokenAnswer(bytes);
    if (issued === undefined) {
      throw new RegistryProtocolError(
        `${request.action}: answer holds no token`,
        errorContext(target, { detail: `no token from ${request.url.host}` }),
      );
    }
    return issued;
  }

  #tokenRequest(
    challenge: { realm: string; service: string },
    target: AuthTarget,
  ): RegistryRequest {
    const url = this.#realmUrl(challenge.realm, target);
    const scope = repositoryScope(target.repository);
    const { credential } = target;
    const base = {
      signal: target.signal,
      registry: target.registry,
      repository: target.repository,
      action: `token request to ${url.host} ${describeCredential(credential)}`,
      ...(target.dispatcher === undefined ? {} : { dispatcher: target.dispatcher }),
      ...(target.tlsConfiguredIn === undefined ? {} : { tlsConfiguredIn: target.tlsConfiguredIn }),
    };
    if (credential?.identityToken !== undefined) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        service: challenge.service,
        scope,
        client_id: OAUTH_CLIENT_ID,
      });
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      return { ...base, url, method: 'POST', headers, body: form.toString() };
    }
    if (challenge.service !== '') url.searchParams.set('service', challenge.service);
    url.searchParams.set('scope', scope);
    if (credential?.username !== undefined) url.searchParams.set('account', credential.username);
    const authorization = basicAuthorization(credential);
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    return { ...base, url, method: 'GET', headers };
  }
}
