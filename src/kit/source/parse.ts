import { z } from 'zod';
import { PayloadError } from './errors';

/** Validates `value` with `schema`, turning the first issue into a PayloadError that names the field. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  throw new PayloadError(field, issue?.message ?? 'invalid');
}

// Control, format (zero-width, bidirectional overrides), private-use, surrogate and unassigned code points, and
// line or paragraph separators: text that renders as something else, or breaks a log line or a query.
const INVISIBLE = /[\p{C}\p{Zl}\p{Zp}]/u;

/**
 * A business key from a payload (an order id): it becomes a search attribute, idempotency keys and alert text, so it
 * is short visible text. Any script is fine ("Zamówienie #1001").
 */
export const businessKeySchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'at most 128 characters')
  .refine((s) => !INVISIBLE.test(s), 'visible text only: no control, zero-width or direction-changing characters');

/** Whether `value` is short visible text, as search attributes and workflow ids need. */
export function isKeyword(value: string, max = 128): boolean {
  return value.length > 0 && value.length <= max && !INVISIBLE.test(value);
}
