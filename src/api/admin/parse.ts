import type { z } from 'zod';
import { HttpError } from '../errors';

/** `value` as `schema` has it, or a 400 naming the first field that is wrong. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, 'invalid_request', issue?.message ?? 'invalid request', { field: issue?.path.join('.') });
  }
  return parsed.data;
}
