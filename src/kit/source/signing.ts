import { createHmac, timingSafeEqual } from 'node:crypto';
import { RepeatedHeaderError, SignatureError } from './errors';
import type { DistinctHeaders } from './adapter';

/** HMAC-SHA256 of `parts` joined as bytes, with `key`. */
export function hmacSha256(key: Buffer | string, ...parts: (Buffer | string)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time comparison of an expected MAC with a candidate of any length. */
export function macEquals(expected: Buffer, candidate: Buffer): boolean {
  return candidate.length === expected.length && timingSafeEqual(expected, candidate);
}

/**
 * Constant-time comparison of an expected MAC with the text a sender put in a header, in the scheme's encoding.
 * Strict on purpose: the text must be the canonical encoding (Buffer.from would silently skip stray characters).
 */
export function encodedMacEquals(expected: Buffer, candidate: string, encoding: 'base64' | 'hex'): boolean {
  return macEquals(Buffer.from(expected.toString(encoding)), Buffer.from(candidate));
}

/**
 * The one value of a header that must appear at most once, trimmed; undefined when absent or blank. Throws
 * RepeatedHeaderError when it arrived several times, whatever the case of its names or the equality of its values:
 * which copy a proxy, a library or an attacker meant is unknowable, and joining them changes what the scheme reads.
 */
export function headerOnce(headers: DistinctHeaders, name: string): string | undefined {
  const values = headers[name.toLowerCase()] ?? [];
  if (values.length > 1) throw new RepeatedHeaderError(name.toLowerCase(), values.length);
  return values[0]?.trim() || undefined;
}

/** Headers as a plain record (a sender's, a test's) in the distinct form a Delivery carries; names lower-cased. */
export function distinctHeaders(headers: Record<string, string | readonly string[] | undefined>): DistinctHeaders {
  const out: Record<string, string[]> = Object.create(null);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    (out[name.toLowerCase()] ??= []).push(...(typeof value === 'string' ? [value] : value));
  }
  return out;
}

/** Rejects timestamps (unix seconds) further than `toleranceSeconds` from `now`. */
export function assertFresh(timestamp: string, now: Date, toleranceSeconds: number): void {
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError('malformed');
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) throw new SignatureError('stale');
}
