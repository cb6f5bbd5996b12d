import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureError } from './errors';

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

/** A single header value, or undefined when absent or sent more than once (ambiguous, so treated as absent). */
export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) return undefined;
  return value?.trim() || undefined;
}

/** Rejects timestamps (unix seconds) further than `toleranceSeconds` from `now`. */
export function assertFresh(timestamp: string, now: Date, toleranceSeconds: number): void {
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError('malformed');
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) throw new SignatureError('stale');
}
