/**
 * Registry auth as a layer around the transport's send, as go-containerregistry's bearer
 * transport wraps its round tripper: a request goes out with what its registry asked for before
 * (a cached token, or Basic); a 401 with a challenge is answered with a token or Basic, and the
 * request is sent once more. Whatever comes back then is the caller's to read, status and all:
 * what a status means belongs to the protocol, not to auth.
 */
import type { RegistryCredential } from '../credentials/credential.js';
import type { AuthTarget, RegistryAuthenticator } from './auth.js';
import { discardBody, type RegistryRequest, type RegistryResponse } from './transport.js';

/** Sends `request` as `credential`'s holder, anonymously without one. */
export type AuthenticatingSend = (
  request: RegistryRequest,
  credential: RegistryCredential | undefined,
) => Promise<RegistryResponse>;

/**
 * `send` with auth around it. Rejects with a RegistryError when a challenge cannot be answered
 * (no Basic or Bearer in it, no credential for Basic, the same Authorization refused again, a
 * token realm that fails or is not allowed) and as `send` rejects.
 */
export function authenticatingSend(
  send: (request: RegistryRequest) => Promise<RegistryResponse>,
  authenticator: RegistryAuthenticator,
): AuthenticatingSend {
  return async (request, credential) => {
    const target: AuthTarget = {
      registry: request.registry,
      repository: request.repository,
      credential,
      signal: request.signal,
      dispatcher: request.dispatcher,
      tlsConfiguredIn: request.tlsConfiguredIn,
      reachedOverHttp: request.url.protocol === 'http:',
    };
    const sent = await authenticator.preemptive(target);
    const response = await send(withAuthorization(request, sent));
    if (response.statusCode !== 401) return response;
    const challenge = response.headers['www-authenticate'];
    await discardBody(response);
    const answer = await authenticator.answer(target, challenge, sent);
    return send(withAuthorization(request, answer));
  };
}

function withAuthorization(
  request: RegistryRequest,
  authorization: string | undefined,
): RegistryRequest {
  if (authorization === undefined) return request;
  return { ...request, headers: { ...request.headers, authorization } };
}
