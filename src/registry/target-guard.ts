/**
 * What the client may connect to. A registry name comes from a pod spec and a token realm from a
 * registry's answer, so both are attacker-controlled: neither may reach a link-local address
 * (169.254.0.0/16, fe80::/10, where cloud metadata endpoints live), checked on literal addresses
 * here and on resolved ones by `guardedLookup` at connect time; a realm must be https, because
 * credentials are sent to it, unless its own host or its registry is listed insecure, or the
 * registry was reached over plain http (a hosts.toml host written http://): such a registry has
 * its tokens cross the wire in the clear anyway, and a token server next to a plain-http registry
 * is the usual lab and on-premise setup.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DigestPinnerError, RegistryFailures } from '../errors.js';

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

const DOCKER_HUB_REGISTRY = 'docker.io';
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** Raised below the registry layer; the client turns it into RegistryTargetForbiddenError. */
export class ForbiddenTargetError extends DigestPinnerError {
  constructor(
    readonly host: string,
    readonly problem: string,
  ) {
    super(RegistryFailures['forbidden-target'].code, `refusing to connect to ${host}: ${problem}`);
  }
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Whether `address` (an IP literal; anything else is false) is link-local, IPv4-mapped too. */
export function isLinkLocalAddress(address: string): boolean {
  const ip = unbracket(address);
  const family = isIP(ip);
  if (family === 0) return false;
  return LINK_LOCAL.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** Throws ForbiddenTargetError when a URL's host is a link-local literal address. */
export function assertAllowedTarget(url: URL): void {
  if (isLinkLocalAddress(url.hostname)) {
    throw new ForbiddenTargetError(url.host, 'link-local address');
  }
}

/**
 * A `lookup` for net/tls connect options (e.g. an undici Agent's `connect.lookup`) that fails
 * when any resolved address is link-local, so a DNS name cannot smuggle a metadata address in.
 */
export function guardedLookup(base: LookupFunction = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, options, (error, address, family) => {
      if (error !== null) {
        callback(error, address, family);
        return;
      }
      const addresses: readonly (string | LookupAddress)[] = Array.isArray(address)
        ? address
        : [address];
      const forbidden = addresses.some((entry) =>
        isLinkLocalAddress(typeof entry === 'string' ? entry : entry.address),
      );
      if (forbidden) {
        const refusal = new ForbiddenTargetError(hostname, 'resolves to a link-local address');
        callback(Object.assign(refusal, { errno: 0, syscall: 'lookup' }), '', 0);
        return;
      }
      callback(null, address, family);
    });
  };
}

/** Registries reached over plain http: `host[:port]` entries; an entry without a port covers every port. */
export class InsecureHosts {
  readonly #entries: ReadonlySet<string>;

  constructor(entries: readonly string[] = []) {
    this.#entries = new Set(entries.map((entry) => entry.trim().toLowerCase()));
  }

  /** `host` is `hostname[:port]` as in a URL or an image reference. */
  has(host: string): boolean {
    const normalized = host.toLowerCase();
    if (this.#entries.has(normalized)) return true;
    const hostname = new URL(`http://${normalized}`).hostname;
    return this.#entries.has(hostname);
  }
}

/** The base URL of a registry's API: Docker Hub's lives elsewhere; https unless listed insecure. */
export function registryOrigin(registry: string, insecure: InsecureHosts): URL {
  const host = registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : registry;
  return new URL(`${insecure.has(registry) ? 'http' : 'https'}://${host}`);
}

/**
 * Parses the bearer realm `registry` sent and applies the realm rules; throws
 * ForbiddenTargetError if refused.
 */
export function checkRealm(
  realm: string,
  registry: { readonly name: string; readonly reachedOverHttp: boolean },
  insecure: InsecureHosts,
): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new ForbiddenTargetError(realm.slice(0, 100), 'realm is not an absolute URL');
  }
  if (url.protocol === 'http:') {
    if (!registry.reachedOverHttp && !insecure.has(url.host) && !insecure.has(registry.name)) {
      throw new ForbiddenTargetError(
        url.host,
        `realm must use https, not http (allow it with --insecure-registry ${url.host})`,
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new ForbiddenTargetError(url.host, `realm must use https, not ${url.protocol}`);
  }
  assertAllowedTarget(url);
  return url;
}
