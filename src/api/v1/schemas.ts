import { z } from 'zod';
import { INVOICE_FIELDS } from '../../contracts/failures';
import { CONTACT_SYSTEMS } from '../../domain/ownership';

// The shapes of /api/v1, once: the handlers validate requests with them, the OpenAPI document is generated from them
// (z.toJSONSchema), and the tests check every answer they see against them.

const visible = /^[\x21-\x7e]+$/;

/** 1–255 printable ASCII characters, not starting or ending with a space (HTTP would trim it). */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/, '1–255 printable ASCII characters')
  .meta({ description: 'Scopes the command: the same key and body give the same answer' });

export const orderIdSchema = z.string().min(1).max(128).regex(visible, 'visible ASCII characters only');

export const invoiceRequestSchema = z.strictObject({
  total: z.number().finite().nonnegative(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, e.g. PLN'),
  customerEmail: z.email(),
});

const consentSchema = z.strictObject({ status: z.enum(['subscribed', 'unsubscribed']), at: z.iso.datetime() });

export const contactWriteSchema = z
  .strictObject({
    email: z.email(),
    name: z.string().min(1).max(200).optional(),
    company: z.string().max(200).nullable().optional(),
    consent: consentSchema.nullable().optional(),
  })
  .meta({ description: 'Only the fields the caller’s system owns (the ownership map)' });

export const errorSchema = z.looseObject({
  error: z.string().meta({ description: 'machine-readable code, e.g. idempotency_key_reused' }),
  message: z.string(),
  field: z.string().optional(),
});

const linksSchema = z.strictObject({
  operation: z.string().meta({ description: '/api/v1/operations/{id}' }),
  ui: z.url().meta({ description: 'the execution in the Temporal Web UI' }),
});

export const invoiceResultSchema = z.strictObject({ orderId: z.string(), invoiceId: z.string(), emailId: z.string() });
export const contactResultSchema = z.strictObject({
  system: z.enum(CONTACT_SYSTEMS),
  id: z.string(),
  email: z.string(),
  created: z.boolean(),
});

const failureSchema = z.strictObject({
  system: z.string().optional(),
  error: z.string(),
  retrySafe: z.boolean().meta({ description: 'a retry with the same key repeats no side effect' }),
  retryMayHelp: z.boolean().meta({ description: 'false when the system refused the request itself' }),
  conflictingFields: z
    .array(z.enum(INVOICE_FIELDS))
    .optional()
    .meta({ description: 'the fields the order’s existing invoice holds differently (answered 409)' }),
});

export const operationSchema = z.strictObject({
  operationId: z.string().meta({ description: 'opaque; base64url of the workflow id' }),
  workflowId: z.string().meta({
    description: '<prefix>api:<client>:<Idempotency-Key> (docs/workflow-ids.md), as the ops CLI and UI show it',
  }),
  status: z.enum(['running', 'succeeded', 'failed']),
  result: z.union([invoiceResultSchema, contactResultSchema]).optional(),
  failure: failureSchema.optional(),
  links: linksSchema,
});

export const commandFailedSchema = errorSchema.extend({
  operationId: z.string(),
  failure: failureSchema,
  links: linksSchema,
});

const fieldSchema = z.union([
  z.strictObject({ value: z.unknown(), owner: z.enum(CONTACT_SYSTEMS), updatedAt: z.string().nullable() }),
  z.strictObject({
    unavailable: z.literal(true),
    owner: z.enum(CONTACT_SYSTEMS),
    reason: z.string().meta({ description: 'why the owner could not be read: down, throttled, timeout…' }),
  }),
]);

export const contactReadSchema = z.strictObject({
  email: z.string(),
  partial: z.boolean().meta({ description: 'true when an owner could not be read: its fields are unavailable' }),
  fields: z.strictObject({ email: fieldSchema, name: fieldSchema, company: fieldSchema, consent: fieldSchema }),
});

/** Where a zod issue is, as a caller reads it: `consent.status`, `total`. */
export function fieldOf(issue: z.core.$ZodIssue): string {
  // A field the schema does not know is named itself, not its parent object.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
  return path.map(String).join('.') || '(body)';
}
