import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { ApiScope } from '../../config/api-clients';
import { HttpError } from '../errors';
import { resumeRequestSpan } from '../tracing';
import { idempotencyKeyOf, parseOr400 } from './answers';
import { requireScope } from './auth';
import {
  commandFailedSchema,
  contactReadSchema,
  contactWriteSchema,
  emailSchema,
  errorSchema,
  idempotencyKeySchema,
  invoiceRequestSchema,
  operationIdSchema,
  operationSchema,
  orderIdSchema,
} from './schemas';

// The routes of /api/v1 as data, once: the Express router is built from this table (so no route exists without its
// entry), and the OpenAPI 3.1 document is generated from it and the zod schemas the router validates with. Each entry
// lists the answers its handler gives; the answers the router's own steps give (no key, no scope, a bad parameter or
// body, over the rate) are added from what the entry asks of it, so the document cannot forget them. The tests check
// every answer they receive against the schema this table gives for its route and status, and schemathesis checks
// the server against the document (test/api/v1/openapi-fuzz.test.ts).

interface Answer {
  description: string;
  /** The schema of the answer's JSON body (null: no body). */
  schema: z.ZodType | null;
  /** Headers the answer always carries, with what they mean. */
  headers?: Record<string, string>;
}

interface RouteSpec {
  /** The handler's name in `Handlers`, and the document's operationId. */
  operationId: string;
  method: 'get' | 'post';
  path: `/api/v1/${string}`;
  summary: string;
  /** Served without an API key. */
  public?: true;
  scope?: ApiScope;
  /** The workflow a command runs (its id: api:<client>:<Idempotency-Key>); commands require an Idempotency-Key. */
  workflow?: string;
  /** One schema per `{name}` of the path. */
  params?: z.ZodObject;
  body?: z.ZodType;
  /** Status → the answer, for the answers the handler gives. */
  responses: Record<number, Answer>;
}

const UNREADABLE =
  'operation_unreadable: the stored answer of this key is encrypted under a payload key the service no longer holds ' +
  '(`missingKeyId`); nothing was run again';
const RETRY_AFTER = 'seconds to wait before asking again';

const commandAnswers = {
  200: {
    description: 'a replay: the same key and body, the same body as the first answer',
    schema: operationSchema,
    headers: { 'Idempotent-Replayed': '`true`' },
  },
  201: {
    description: 'done within API_SYNC_WAIT_MS (or the Prefer: wait applied): the result',
    schema: operationSchema,
  },
  202: {
    description: 'still running: poll Location (/api/v1/operations/{id}) after Retry-After',
    schema: operationSchema,
    headers: { Location: '/api/v1/operations/{id}', 'Retry-After': RETRY_AFTER },
  },
  410: { description: UNREADABLE, schema: errorSchema },
  422: { description: 'idempotency_key_reused: this key was used with another body', schema: errorSchema },
  502: {
    description: 'a system failed: which, and whether a retry with the same key is safe',
    schema: commandFailedSchema,
  },
  503: {
    description: 'Temporal did not take the command: retry with the same key',
    schema: errorSchema,
    headers: { 'Retry-After': RETRY_AFTER },
  },
} as const satisfies Record<number, Answer>;

const openApiDocumentSchema = z.looseObject({ openapi: z.string() });

const ROUTE_LIST = [
  {
    operationId: 'openApi',
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    public: true,
    responses: {
      200: {
        description: 'the OpenAPI 3.1 document of /api/v1',
        schema: openApiDocumentSchema,
      },
    },
  },
  {
    operationId: 'invoiceOrder',
    method: 'post',
    path: '/api/v1/orders/{orderId}/invoice',
    summary: 'Invoice an order and email the invoice (the twin of the order.paid webhook)',
    scope: 'orders:write',
    workflow: 'invoiceOrder',
    params: z.strictObject({ orderId: orderIdSchema }),
    body: invoiceRequestSchema,
    responses: {
      ...commandAnswers,
      409: {
        description:
          'invoice_conflict: the order is invoiced with another total, currency or customerEmail (`fields`); ' +
          'nothing was changed',
        schema: commandFailedSchema,
      },
    },
  },
  {
    operationId: 'upsertContact',
    method: 'post',
    path: '/api/v1/contacts',
    summary: 'Create or update a contact in the caller’s system, with only the fields that system owns',
    scope: 'contacts:write',
    workflow: 'upsertContact',
    body: contactWriteSchema,
    responses: {
      ...commandAnswers,
      403: {
        description:
          'the client lacks the scope, speaks for no system (no_system), or sent a field its system does not own ' +
          '(field_not_owned, `fields`)',
        schema: errorSchema,
      },
    },
  },
  {
    operationId: 'getOperation',
    method: 'get',
    path: '/api/v1/operations/{id}',
    summary: 'The state of a command: running, succeeded with its result, or failed',
    params: z.strictObject({ id: operationIdSchema }),
    responses: {
      200: { description: 'the operation', schema: operationSchema },
      404: { description: 'no such operation for this client', schema: errorSchema },
      410: { description: UNREADABLE, schema: errorSchema },
      503: {
        description: 'Temporal did not answer: ask again after Retry-After',
        schema: errorSchema,
        headers: { 'Retry-After': RETRY_AFTER },
      },
    },
  },
  {
    operationId: 'getContact',
    method: 'get',
    path: '/api/v1/contacts/{email}',
    summary: 'A contact, each field read from its owner, with provenance; partial when an owner cannot be read',
    scope: 'contacts:read',
    params: z.strictObject({ email: emailSchema }),
    responses: {
      200: {
        description: 'the contact',
        schema: contactReadSchema,
        headers: { ETag: 'strong, of the body: send it as If-None-Match' },
      },
      304: { description: 'If-None-Match matched the ETag', schema: null },
      404: { description: 'every owner answered and none knows the address', schema: errorSchema },
      503: {
        description: 'owners_throttled: every owner asked us to wait, nothing was sent; ask again after Retry-After',
        schema: errorSchema,
        headers: { 'Retry-After': RETRY_AFTER },
      },
    },
  },
] as const satisfies readonly RouteSpec[];

type AnyRoute = (typeof ROUTE_LIST)[number];
export type OperationId = AnyRoute['operationId'];

/** Every route of /api/v1. */
export const ROUTES: readonly RouteSpec[] = ROUTE_LIST;

/** What a handler receives: its path parameters and body, validated; a command's Idempotency-Key. */
export interface RouteInput<R> {
  params: R extends { params: infer P extends z.ZodType } ? z.infer<P> : Record<string, never>;
  body: R extends { body: infer B extends z.ZodType } ? z.infer<B> : undefined;
  /** The Idempotency-Key of a command ('' on a read). */
  key: string;
  req: Request;
  res: Response;
}

/** One handler per route of the table: a route without a handler, or a handler without a route, does not compile. */
export type Handlers = {
  [Id in OperationId]: (input: RouteInput<Extract<AnyRoute, { operationId: Id }>>) => unknown;
};

/** The answers a route gives: its handler's, and those of the steps the router puts before it. */
export function responsesOf(route: RouteSpec): Record<number, Answer> {
  const steps: Record<number, Answer> = {};
  if (route.params || route.body || route.workflow) {
    steps[400] = {
      description: `bad ${route.body ? 'body, ' : ''}${route.params ? 'path parameter, ' : ''}${
        route.workflow ? 'Idempotency-Key, ' : ''
      }or unreadable request: \`field\` names what is wrong`,
      schema: errorSchema,
    };
  }
  if (!route.public) {
    steps[401] = {
      description: 'no API key, or an unknown one',
      schema: errorSchema,
      headers: { 'WWW-Authenticate': '`Bearer realm="switchyard"`' },
    };
    if (route.scope) steps[403] = { description: `the client lacks the scope ${route.scope}`, schema: errorSchema };
    steps[429] = {
      description: 'over the client’s rate: Retry-After says when to come back; nothing started',
      schema: errorSchema,
      headers: { 'Retry-After': RETRY_AFTER },
    };
  }
  if (route.body) {
    steps[413] = { description: 'body over API_MAX_BODY_BYTES', schema: errorSchema };
    steps[415] = { description: 'not Content-Type: application/json, or an unsupported encoding', schema: errorSchema };
  }
  return { ...steps, ...route.responses };
}

function templateMatches(template: string, path: string): boolean {
  const want = template.split('/');
  const got = path.split('?')[0]!.split('/');
  return want.length === got.length && want.every((w, i) => (w.startsWith('{') ? got[i] !== '' : w === got[i]));
}

/** The route `path` (as requested, under /api/v1) belongs to, whatever its method. */
export function routeOfPath(path: string): RouteSpec | undefined {
  return ROUTES.find((r) => templateMatches(r.path, path));
}

/** The methods a path answers, for Allow: GET brings HEAD. */
function allowedOn(template: string): string[] {
  const methods = ROUTES.filter((r) => r.path === template).map((r) => r.method.toUpperCase());
  return [...new Set(methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))];
}

/** The schema a route documents for `status`, or undefined when the status is not documented there. */
export function documentedResponse(method: string, path: string, status: number) {
  if (status === 405) {
    const template = routeOfPath(path)?.path;
    const allowed = template ? allowedOn(template) : [];
    return template && !allowed.includes(method.toUpperCase()) ? METHOD_NOT_ALLOWED : undefined;
  }
  const route = ROUTES.find((r) => r.method === method.toLowerCase() && templateMatches(r.path, path));
  return route && responsesOf(route)[status];
}

const METHOD_NOT_ALLOWED: Answer = {
  description: 'a method the path does not declare: Allow lists the ones it does',
  schema: errorSchema,
  headers: { Allow: 'the methods the path answers, e.g. `GET, HEAD`' },
};

/** 415 unless the body is JSON, before a byte of it is read. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const type = req.header('content-type');
  next(
    type && /^application\/json\s*(;|$)/i.test(type)
      ? undefined
      : new HttpError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json'),
  );
}

const expressPath = (template: string) => template.replace(/^\/api\/v1/, '').replace(/\{([^}]+)\}/g, ':$1');

/**
 * The /api/v1 router, from the table: each route gets `guard` (authentication, rate) unless public, its scope, the
 * JSON body steps when it takes a body, validation of its parameters, Idempotency-Key and body, then its handler. A
 * method a known path does not declare answers 405 with Allow; OPTIONS answers 204 with Allow.
 */
export function routerFromTable(handlers: Handlers, options: { guard: RequestHandler[]; maxBodyBytes: number }) {
  const router: Router = express.Router();
  const json = [requireJson, express.json({ limit: options.maxBodyBytes, type: () => true }), resumeRequestSpan];
  for (const route of ROUTES) {
    const handler = handlers[route.operationId as OperationId] as (input: RouteInput<unknown>) => unknown;
    const steps: RequestHandler[] = [
      ...(route.public ? [] : options.guard),
      ...(route.scope ? [requireScope(route.scope)] : []),
      ...(route.body ? json : []),
    ];
    router[route.method](expressPath(route.path), ...steps, async (req: Request, res: Response) => {
      const key = route.workflow ? idempotencyKeyOf(req) : '';
      const params = (route.params ? parseParams(route.params, req.params) : {}) as never;
      const body = (route.body ? parseOr400(route.body, req.body) : undefined) as never;
      await handler({ params, body, key, req, res });
    });
  }
  for (const template of new Set(ROUTES.map((r) => r.path))) {
    const allow = allowedOn(template).join(', ');
    router.options(expressPath(template), (_req, res) => void res.set('Allow', `${allow}, OPTIONS`).status(204).end());
    router.all(expressPath(template), (req, _res, next) =>
      next(
        new HttpError(
          405,
          'method_not_allowed',
          `${req.method} is not a method of ${template}: use ${allow}`,
          {},
          {
            Allow: allow,
          },
        ),
      ),
    );
  }
  return router;
}

// Express has already decoded each parameter; a failure names the parameter, as the document does.
function parseParams(schema: z.ZodObject, params: Record<string, unknown>): unknown {
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(path)';
  throw new HttpError(400, 'invalid_request', `${field}: ${issue.message}`, { field });
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
    [openApiDocumentSchema, 'OpenApiDocument'],
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
  const inline = (schema: z.ZodType) => {
    const { $schema: _s, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12' });
    return json;
  };
  const answerOf = (answer: Answer) => ({
    description: answer.description,
    ...(answer.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(answer.headers).map(([name, description]) => [
              name,
              { description, required: true, schema: { type: 'string' } },
            ]),
          ),
        }
      : {}),
    ...(answer.schema ? { content: { 'application/json': { schema: ref(answer.schema) } } } : {}),
  });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters: Array<Record<string, unknown>> = Object.entries(route.params?.shape ?? {}).map(
      ([name, schema]) => ({ name, in: 'path', required: true, schema: inline(schema as z.ZodType) }),
    );
    if (route.workflow) {
      parameters.push(
        { name: 'Idempotency-Key', in: 'header', required: true, schema: inline(idempotencyKeySchema) },
        {
          name: 'Prefer',
          in: 'header',
          required: false,
          description:
            'RFC 7240. `wait=<seconds>` answers 202 sooner than API_SYNC_WAIT_MS when the command is not done by ' +
            'then (at least 1 s; a longer wait is not applied); an applied wait is named in Preference-Applied. ' +
            'Other preferences are ignored',
          schema: { type: 'string' },
        },
      );
    }
    paths[route.path] = {
      ...paths[route.path],
      [route.method]: {
        operationId: route.operationId,
        summary: route.summary,
        security: route.public ? [] : [{ apiKey: route.scope ? [route.scope] : [] }],
        ...(parameters.length ? { parameters } : {}),
        ...(route.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: ref(route.body) } } } }
          : {}),
        responses: Object.fromEntries(
          Object.entries(responsesOf(route)).map(([status, answer]) => [status, answerOf(answer)]),
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
        'Keys come from API_CLIENTS, scoped orders:write, contacts:write, contacts:read. A method a path does not ' +
        'list answers 405 with Allow (components.responses.MethodNotAllowed); OPTIONS answers 204 with Allow.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      schemas,
      responses: { MethodNotAllowed: answerOf(METHOD_NOT_ALLOWED) },
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'the client key from API_CLIENTS' } },
    },
    paths,
  };
}
