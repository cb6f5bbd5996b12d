import { createHash } from 'node:crypto';

// Idempotency keys travel in the Idempotency-Key header, and business keys (order ids, event ids) have no character
// set: a shop may name an order `№1001`. The format of a key, `<step>:<business key>`, with the business key encoded:
// - visible ASCII other than `%` (0x21–0x7E) is kept as it is, so `invoice:ORD-10427` stays `invoice:ORD-10427`;
// - every other character (space, controls, `%`, anything beyond ASCII) is percent-encoded as UTF-8 (`№` → `%E2%84%96`),
//   and a lone UTF-16 surrogate, which has no UTF-8 form, as `%uD800`;
// - a key that would exceed MAX_KEY_LENGTH keeps its first characters and ends in `%~` and the base64url SHA-256 of
//   the business key's UTF-16 code units.
// `%` is only ever followed by two hex digits, `u` or `~`, so two business keys never share a key.

/** The longest key sent: what common APIs accept (Stripe: 255). */
export const MAX_KEY_LENGTH = 255;

const HASH_SUFFIX_LENGTH = 2 + 43;

const percent = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/** The business key's characters, each encoded as the format above says. */
function encodedChars(value: string): string[] {
  return Array.from(value, (char) => {
    const code = char.codePointAt(0)!;
    if (code >= 0x21 && code <= 0x7e && char !== '%') return char;
    if (code >= 0xd800 && code <= 0xdfff) return `%u${code.toString(16).toUpperCase()}`;
    return Array.from(Buffer.from(char, 'utf8'), percent).join('');
  });
}

/**
 * Idempotency key for a side effect: stable across activity retries, workflow re-runs and duplicate sources, and a
 * valid header value whatever the business key holds (format above).
 */
export function idempotencyKey(step: string, businessKey: string): string {
  const chars = encodedChars(businessKey);
  const key = `${step}:${chars.join('')}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  // Cut at a character, so the readable prefix never ends in half of one.
  let prefix = `${step}:`;
  for (const char of chars) {
    if (prefix.length + char.length > MAX_KEY_LENGTH - HASH_SUFFIX_LENGTH) break;
    prefix += char;
  }
  const hash = createHash('sha256').update(Buffer.from(businessKey, 'utf16le')).digest('base64url');
  return `${prefix}%~${hash}`;
}

/** Idempotency key from the content: a retried or re-run identical write replays instead of writing twice. */
export function contentKey(step: string, body: unknown): string {
  return `${step}:${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 32)}`;
}
