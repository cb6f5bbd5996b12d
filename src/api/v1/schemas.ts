import { z } from 'zod';
import { INVOICE_FIELDS } from '../../contracts/failures';
import { CURRENCY_CODES, MINOR_UNITS } from '../../domain/currencies';
import { CONTACT_SYSTEMS } from '../../domain/ownership';

// The shapes of /api/v1, once: the handlers validate requests with them, the OpenAPI document is generated from them
// (z.toJSONSchema), and the tests check every answer they see against them.

const visible = /^[\x21-\x7e]+$/;

/** 1–255 printable ASCII characters, not starting or ending with a space (HTTP would trim it). */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/, '1–255 printable ASCII characters')
  .meta({ description: 'Scopes the command: the same key and body give the same answer' });

export const orderIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(visible, 'visible ASCII characters only')
  .meta({ description: 'the order id the shop and accounting know the order by' });

/** base64url, as /api/v1 hands operation ids out (answers.operationIdOf). */
export const operationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,1024}$/, 'an operation id as a command answered it (base64url)')
  .meta({ description: 'the operationId a command answered' });

// One spelling of an email address for every reader of the contract: a dot-atom local part and a domain of DNS
// labels, written as a pattern only (no `format: email`, whose meaning differs between validators), in the subset of
// regular expressions ECMAScript and Python read alike.
const EMAIL =
  /^[A-Za-z0-9_'+-]+(?:\.[A-Za-z0-9_'+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** An email address: the same pattern validates requests and is the document's. */
export const emailSchema = z
  .string()
  .max(254)
  .regex(EMAIL, 'an email address, e.g. ada@example.com')
  .meta({ description: 'an email address, e.g. ada@example.com' });

// An invoice holds at least one minor unit of its currency: the smallest total is 1 JPY, 0.01 PLN, 0.001 KWD. One
// branch per number of decimals, so the document states the same minimum the validator holds.
const MAX_TOTAL = 1_000_000_000;
const byDecimals = new Map<number, string[]>();
for (const code of CURRENCY_CODES) {
  const decimals = MINOR_UNITS.get(code)!;
  byDecimals.set(decimals, [...(byDecimals.get(decimals) ?? []), code]);
}
const invoiceBranches = [...byDecimals.entries()]
  .sort(([a], [b]) => a - b)
  .map(([decimals, codes]) => {
    const smallest = 1 / 10 ** decimals;
    return z.strictObject({
      total: z
        .number()
        .min(smallest, `an invoice holds at least one minor unit of its currency: ${smallest} or more`)
        .max(MAX_TOTAL, `at most ${MAX_TOTAL}`),
      currency: z.enum(codes as [string, ...string[]]).meta({
        description: `ISO 4217 codes with ${decimals} decimals`,
      }),
      customerEmail: emailSchema,
    });
  });

export const invoiceRequestSchema = z.discriminatedUnion(
  'currency',
  invoiceBranches as unknown as [(typeof invoiceBranches)[number], ...(typeof invoiceBranches)[number][]],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'an ISO 4217 code Switchyard knows (src/domain/currencies.ts), e.g. PLN'
        : undefined,
  },
);

/** The invoice's total and its currency, as a request holds them. */
export type InvoiceRequest = z.infer<typeof invoiceRequestSchema>;

const consentSchema = z.strictObject({ status: z.enum(['subscribed', 'unsubscribed']), at: z.iso.datetime() });

const contactFields = {
  email: emailSchema,
  name: z.string().min(1).max(200).optional(),
  company: z.string().max(200).nullable().optional(),
  consent: consentSchema.nullable().optional(),
};

// The email is the key a write is matched on: a write names it and at least one field besides.
export const contactWriteSchema = z
  .strictObject(contactFields)
  .refine((body) => Object.keys(body).length >= 2, {
    message: 'send the email and at least one field your system owns',
    path: [],
  })
  .meta({
    description: 'The email and at least one field the caller’s system owns (the ownership map)',
    minProperties: 2,
  });

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
