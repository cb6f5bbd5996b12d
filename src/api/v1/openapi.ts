import { z } from 'zod';
import type { ApiScope } from '../../config/api-clients';
import {
  commandFailedSchema,
  contactReadSchema,
  contactWriteSchema,
  errorSchema,
  idempotencyKeySchema,
  invoiceRequestSchema,
  operationSchema,
} from './schemas';

// The routes of /api/v1 as data: the OpenAPI 3.1 document is generated from this table and the zod schemas, and the
// tests check every answer they receive against the schema this table gives for its route and status.

interface Route {
  method: 'get' | 'post';
  path: string;
  summary: string;
  scope?: ApiScope;
  /** The workflow a command runs (its id: api:<client>:<Idempotency-Key>). */
  workflow?: string;
  body?: z.ZodType;
  /** Status → the schema of the answer's JSON body (null: no body). */
  responses: Record<number, { description: string; schema: z.ZodType | null }>;
}

const refusals = {
  401: { description: 'no API key, or an unknown one', schema: errorSchema },
  403: { description: 'the client lacks the scope (or, for contacts, owns not the field)', schema: errorSchema },
  429: {
    description: 'over the client’s rate: Retry-After says when to come back; nothing started',
    schema: errorSchema,
  },
} as const;

const UNREADABLE =
  'operation_unreadable: the stored answer of this key is encrypted under a payload key the service no longer holds ' +
  '(`missingKeyId`); nothing was run again';

const commandAnswers = {
  200: { description: 'a replay: the same key and body, the same body as the first answer', schema: operationSchema },
  201: { description: 'done within API_SYNC_WAIT_MS: the result', schema: operationSchema },
  202: {
    description: 'still running: poll Location (/api/v1/operations/{id}) after Retry-After',
    schema: operationSchema,
  },
  400: { description: 'bad input or Idempotency-Key; `field` names it', schema: errorSchema },
  ...refusals,
  413: { description: 'body over API_MAX_BODY_BYTES', schema: errorSchema },
  415: { description: 'not Content-Type: application/json', schema: errorSchema },
  410: { description: UNREADABLE, schema: errorSchema },
  422: { description: 'idempotency_key_reused: this key was used with another body', schema: errorSchema },
  502: {
    description: 'a system failed: which, and whether a retry with the same key is safe',
    schema: commandFailedSchema,
  },
  503: { description: 'Temporal did not take the command: retry with the same key', schema: errorSchema },
} as const;

export const ROUTES: Route[] = [
  {
    method: 'post',
    path: '/api/v1/orders/{orderId}/invoice',
    summary: 'Invoice an order and email the invoice (the twin of the order.paid webhook)',
    scope: 'orders:write',
    workflow: 'invoiceOrder',
    body: invoiceRequestSchema,
    responses: {
      ...commandAnswers,
      409: {
        description: 'invoice_conflict: the order is invoiced with another total, currency or customerEmail (`fields`)',
        schema: errorSchema,
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/contacts',
    summary: 'Create or update a contact in the caller’s system, with only the fields that system owns',
    scope: 'contacts:write',
    workflow: 'upsertContact',
    body: contactWriteSchema,
    responses: commandAnswers,
  },
  {
    method: 'get',
    path: '/api/v1/operations/{id}',
    summary: 'The state of a command: running, succeeded with its result, or failed',
    responses: {
      200: { description: 'the operation', schema: operationSchema },
      ...refusals,
      404: { description: 'no such operation for this client', schema: errorSchema },
      410: { description: UNREADABLE, schema: errorSchema },
      503: { description: 'Temporal did not answer: ask again after Retry-After', schema: errorSchema },
    },
  },
  {
    method: 'get',
    path: '/api/v1/contacts/{email}',
    summary: 'A contact, each field read from its owner, with provenance; partial when an owner cannot be read',
    scope: 'contacts:read',
    responses: {
      200: { description: 'the contact (ETag set)', schema: contactReadSchema },
      304: { description: 'If-None-Match matched the ETag', schema: null },
      400: { description: 'not an email address', schema: errorSchema },
      ...refusals,
      404: { description: 'every owner answered and none knows the address', schema: errorSchema },
      503: {
        description: 'owners_throttled: every owner asked us to wait, nothing was sent; ask again after Retry-After',
        schema: errorSchema,
      },
    },
  },
];

/** The schema a route documents for `status`, or undefined when the status is not documented there. */
export function documentedResponse(method: string, path: string, status: number) {
  const route = ROUTES.find((r) => r.method === method.toLowerCase() && templateMatches(r.path, path));
  return route?.responses[status];
}

function templateMatches(template: string, path: string): boolean {
  const want = template.split('/');
  const got = path.split('?')[0]!.split('/');
  return want.length === got.length && want.every((w, i) => (w.startsWith('{') ? got[i] !== '' : w === got[i]));
}

/** The OpenAPI 3.1 document of /api/v1, from ROUTES and the zod schemas. */
export function openApiDocument() {
  const registry = z.registry<{ id: string }>();
  const named = new Map<z.ZodType, string>([
    [invoiceRequestSchema, 'InvoiceRequest'],
    [contactWriteSchema, 'ContactWrite'],
    [errorSchema, 'Error'],
    [operationSchema, 'Operation'],
    [commandFailedSchema, 'CommandFailed'],
    [contactReadSchema, 'Contact'],
  ]);
  for (const [schema, id] of named) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  const schemas = Object.fromEntries(
    Object.entries(generated).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]),
  );
  const ref = (schema: z.ZodType) => ({ $ref: `#/components/schemas/${named.get(schema)}` });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (route.workflow) {
      const { $schema: _s, ...keySchema } = z.toJSONSchema(idempotencyKeySchema, { target: 'draft-2020-12' });
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: true, schema: keySchema as never });
    }
    paths[route.path] = {
      ...paths[route.path],
      [route.method]: {
        summary: route.summary,
        ...(route.scope ? { security: [{ apiKey: [route.scope] }] } : { security: [{ apiKey: [] }] }),
        parameters,
        ...(route.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: ref(route.body) } } } }
          : {}),
        responses: Object.fromEntries(
          Object.entries(route.responses).map(([status, r]) => [
            status,
            {
              description: r.description,
              ...(r.schema ? { content: { 'application/json': { schema: ref(r.schema) } } } : {}),
            },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard request/response API',
      version: '1',
      description:
        'Commands take an Idempotency-Key: the same key and body give the same answer; another body is a 422. ' +
        'Keys come from API_CLIENTS, scoped orders:write, contacts:write, contacts:read.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      schemas,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'the client key from API_CLIENTS' } },
    },
    paths,
  };
}
