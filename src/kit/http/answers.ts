// How an exchange is read: the server's Retry-After, its own message, an idempotency key it saw with another body,
// and a request that fetch refused to build.

/** Parses Retry-After, given as delay-seconds or an HTTP-date. Returns milliseconds, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * A request fetch refused to build (a header value outside Latin-1 or with a line break, a bad URL or body): a bug
 * on our side that no retry fixes. fetch reports a failure on the wire as TypeError('fetch failed') with the network
 * error (ECONNREFUSED, ENOTFOUND, a reset socket…) as its cause; one it raises itself before sending has no cause.
 */
const PROGRAMMING_ERRORS = ['TypeError', 'RangeError', 'SyntaxError'];

export function isProgrammingError(err: unknown): err is Error {
  // By name, not instanceof: fetch's errors may come from another realm (a vm context such as jest's).
  const { name, cause } = (err ?? {}) as { name?: unknown; cause?: unknown };
  return PROGRAMMING_ERRORS.includes(name as string) && cause === undefined;
}

/** The answer of a system that has seen this idempotency key with another body (the sandbox's, as many APIs say it). */
export function isKeyReused(status: number, body: unknown): boolean {
  return status === 422 && (body as { error?: unknown } | null)?.error === 'idempotency_key_reused';
}

/** The top-level fields of what we sent that the existing resource holds differently, with both values. */
export function differencesOf(sent: unknown, existing: unknown): Record<string, { sent: unknown; existing: unknown }> {
  const out: Record<string, { sent: unknown; existing: unknown }> = {};
  if (!sent || typeof sent !== 'object' || !existing || typeof existing !== 'object') return out;
  for (const [field, value] of Object.entries(sent)) {
    const held = (existing as Record<string, unknown>)[field];
    if (JSON.stringify(value) !== JSON.stringify(held)) out[field] = { sent: value, existing: held };
  }
  return out;
}

export function messageOf(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const key of ['message', 'error', 'detail']) if (typeof b[key] === 'string') return b[key];
    // Stripe's envelope, and others like it: {"error": {"type", "code", "message"}}.
    const nested = b.error as Record<string, unknown> | null | undefined;
    if (nested && typeof nested === 'object' && typeof nested.message === 'string') return nested.message;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300);
  return fallback;
}
