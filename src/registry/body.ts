/**
 * Reading response bodies with a size cap: a registry or token server decides how much it sends,
 * so nothing is ever read whole without a bound.
 */
import type { Readable } from 'node:stream';

/** Caps: a manifest or index (as Docker's and containerd's), a token answer, a blob, an error body. */
export const BodyLimits = {
  manifest: 4 * 1024 * 1024,
  /** One page of tags/list: a thousand long tags fit many times over. */
  tagList: 4 * 1024 * 1024,
  token: 1024 * 1024,
  /** An image config or an attestation: a mode=max provenance of a large build runs to megabytes. */
  blob: 8 * 1024 * 1024,
  error: 64 * 1024,
} as const;

export interface CappedBody {
  readonly bytes: Buffer;
  /** More bytes followed the cap; they were not read. */
  readonly truncated: boolean;
}

/** Reads up to `limit` bytes, then stops reading (destroying the stream) if more follow. */
export async function readCapped(body: Readable, limit: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (length + buffer.length > limit) {
      chunks.push(buffer.subarray(0, limit - length));
      body.destroy();
      return { bytes: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(buffer);
    length += buffer.length;
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}
