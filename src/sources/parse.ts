import type { z } from 'zod';
import { PayloadError } from './errors';

/** Validates `value` with `schema`, turning the first issue into a PayloadError that names the field. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  throw new PayloadError(field, issue?.message ?? 'invalid');
}
