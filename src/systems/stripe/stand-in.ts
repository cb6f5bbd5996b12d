import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { nextId, type StandIn, type SystemState, systemRouter } from '../../kit/stand-in';
import { PAYMENT_SUCCEEDED_EVENT, STRIPE_API_VERSION, type WireEvent, type WirePaymentIntent } from './wire';

// The sandbox's Stripe: the two reads the connector makes (GET /v1/events, GET /v1/payment_intents/:id), listed as
// Stripe lists them (newest first, `starting_after` / `has_more`), refused as Stripe refuses ({error: {type, code,
// message}}), behind the shared bearer auth and fault injection. Payments are put in by tests and the sandbox seed
// (putStripePayment, recordStripeEvent, or POST /stripe/_sandbox/payments), e.g. "a payment whose webhook never
// arrived".

export interface StripeData {
  /** Newest first, as Stripe lists them. */
  events: WireEvent[];
  paymentIntents: WirePaymentIntent[];
}

export function createStripeData(): StripeData {
  return { events: [], paymentIntents: [] };
}

/** Keeps the newest first (ties: the later put first, as Stripe's own ordering within a second is by creation). */
function insertEvent(data: StripeData, event: WireEvent): WireEvent {
  const at = data.events.findIndex((e) => e.created <= event.created);
  if (at < 0) data.events.push(event);
  else data.events.splice(at, 0, event);
  return event;
}

function putIntent(data: StripeData, intent: WirePaymentIntent): void {
  const i = data.paymentIntents.findIndex((p) => p.id === intent.id);
  if (i >= 0) data.paymentIntents[i] = intent;
  else data.paymentIntents.push(intent);
}

/**
 * A succeeded PaymentIntent and its payment_intent.succeeded event, as Stripe would hold them (amount in minor units,
 * currency lower case). `created` (unix seconds) defaults to now.
 */
export function putStripePayment(
  data: StripeData,
  p: { orderId: string; amount: number; currency: string; created?: number; eventId?: string; intentId?: string },
): WireEvent {
  const created = p.created ?? Math.floor(Date.now() / 1000);
  const intent: WirePaymentIntent = {
    id: p.intentId ?? nextId('pi'),
    object: 'payment_intent',
    amount: p.amount,
    amount_received: p.amount,
    currency: p.currency.toLowerCase(),
    status: 'succeeded',
    created,
    livemode: false,
    metadata: { order_id: p.orderId },
  };
  putIntent(data, intent);
  return insertEvent(data, {
    id: p.eventId ?? nextId('evt'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    type: PAYMENT_SUCCEEDED_EVENT,
    data: { object: { ...intent, metadata: { ...intent.metadata } } },
  });
}

const sentEventSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int(),
  api_version: z.string().nullish(),
  data: z.object({
    object: z.object({
      id: z.string().min(1),
      amount: z.number().int().optional(),
      amount_received: z.number().int(),
      currency: z.string(),
      status: z.string().default('succeeded'),
      metadata: z.record(z.string(), z.string()).default({}),
    }),
  }),
});

/**
 * An event as the Stripe sample sender wrote it (stripePaymentBody), recorded as Stripe would hold it: so the same
 * payment can reach a flow both by its webhook and by reconciliation.
 */
export function recordStripeEvent(data: StripeData, body: unknown): WireEvent {
  const sent = sentEventSchema.parse(typeof body === 'string' ? JSON.parse(body) : body);
  const o = sent.data.object;
  const intent: WirePaymentIntent = {
    id: o.id,
    object: 'payment_intent',
    amount: o.amount ?? o.amount_received,
    amount_received: o.amount_received,
    currency: o.currency,
    status: o.status,
    created: sent.created,
    livemode: false,
    metadata: o.metadata,
  };
  putIntent(data, intent);
  return insertEvent(data, {
    id: sent.id,
    object: 'event',
    api_version: sent.api_version ?? STRIPE_API_VERSION,
    created: sent.created,
    livemode: false,
    pending_webhooks: 0,
    type: sent.type,
    data: { object: { ...intent, metadata: { ...intent.metadata } } },
  });
}

/** Stripe's error envelope. */
function stripeError(res: Response, status: number, type: string, message: string, code?: string, param?: string) {
  res.status(status).json({ error: { type, message, ...(code ? { code } : {}), ...(param ? { param } : {}) } });
}

/** The shared router's own refusals (auth, injected faults) in Stripe's envelope, as Stripe's gateway sends them. */
function inStripeEnvelope(_req: Request, res: Response, next: () => void): void {
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    const b = body as { error?: unknown; message?: unknown } | null;
    if (res.statusCode >= 400 && b && typeof b.error === 'string') {
      const type = res.statusCode >= 500 ? 'api_error' : 'invalid_request_error';
      const code = res.statusCode === 429 ? 'rate_limit' : res.statusCode === 401 ? 'api_key_invalid' : b.error;
      return json({ error: { type, code, message: typeof b.message === 'string' ? b.message : b.error } });
    }
    return json(body);
  };
  next();
}

/** A query value under Express's simple parser (`created[gte]` as a key) or an extended one (nested objects). */
function queryValue(req: Request, name: string, sub?: string): unknown {
  const q = req.query as Record<string, unknown>;
  if (sub === undefined) return q[name];
  return q[`${name}[${sub}]`] ?? (q[name] as Record<string, unknown> | undefined)?.[sub];
}

const CREATED_OPS = ['gte', 'gt', 'lte', 'lt'] as const;
const KNOWN_PARAMS = new Set(['type', 'limit', 'starting_after', 'ending_before', 'created', 'types', 'expand']);

export function stripeRouter(state: SystemState, data: StripeData): Router {
  const outer = express.Router({ mergeParams: true });
  outer.use(inStripeEnvelope);
  const router = systemRouter(state);
  outer.use(router);

  router.get('/v1/events', (req, res) => {
    for (const key of Object.keys(req.query)) {
      const base = key.replace(/\[.*$/, '');
      if (!KNOWN_PARAMS.has(base)) {
        return stripeError(
          res,
          400,
          'invalid_request_error',
          `Received unknown parameter: ${key}`,
          'parameter_unknown',
          key,
        );
      }
    }
    const limitRaw = queryValue(req, 'limit');
    const limit = limitRaw === undefined ? 10 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return stripeError(
        res,
        400,
        'invalid_request_error',
        'Invalid integer: limit must be between 1 and 100',
        'parameter_invalid_integer',
        'limit',
      );
    }
    let matching = data.events;
    const type = queryValue(req, 'type');
    if (typeof type === 'string') matching = matching.filter((e) => e.type === type);
    for (const op of CREATED_OPS) {
      const raw = queryValue(req, 'created', op);
      if (raw === undefined) continue;
      const t = Number(raw);
      if (!Number.isInteger(t)) {
        return stripeError(
          res,
          400,
          'invalid_request_error',
          `Invalid integer: ${String(raw)}`,
          'parameter_invalid_integer',
          `created[${op}]`,
        );
      }
      matching = matching.filter((e) =>
        op === 'gte' ? e.created >= t : op === 'gt' ? e.created > t : op === 'lte' ? e.created <= t : e.created < t,
      );
    }
    const after = queryValue(req, 'starting_after');
    let start = 0;
    if (typeof after === 'string' && after) {
      const at = matching.findIndex((e) => e.id === after);
      if (at < 0) {
        if (!data.events.some((e) => e.id === after)) {
          return stripeError(
            res,
            400,
            'invalid_request_error',
            `No such event: '${after}'`,
            'resource_missing',
            'starting_after',
          );
        }
        // The cursor's event exists but is outside the filters: Stripe continues after its place in time.
        const cursor = data.events.find((e) => e.id === after)!;
        start = matching.findIndex((e) => e.created < cursor.created);
        if (start < 0) start = matching.length;
      } else start = at + 1;
    }
    const page = matching.slice(start, start + limit);
    res.json({ object: 'list', url: '/v1/events', has_more: start + limit < matching.length, data: page });
  });

  router.get('/v1/payment_intents/:id', (req, res) => {
    const intent = data.paymentIntents.find((p) => p.id === req.params.id);
    if (!intent) {
      return stripeError(
        res,
        404,
        'invalid_request_error',
        `No such payment_intent: '${req.params.id}'`,
        'resource_missing',
        'id',
      );
    }
    res.json(intent);
  });

  /** The sandbox's own seed route (not Stripe's): a succeeded payment whose webhook nobody sent. */
  router.post('/_sandbox/payments', (req, res) => {
    const parsed = z
      .object({
        order_id: z.string().min(1),
        amount: z.number().int().positive(),
        currency: z.string().length(3),
        created: z.number().int().optional(),
      })
      .safeParse(req.body);
    if (!parsed.success) {
      return stripeError(
        res,
        400,
        'invalid_request_error',
        parsed.error.issues[0]?.message ?? 'invalid',
        'parameter_invalid',
      );
    }
    const { order_id: orderId, ...rest } = parsed.data;
    res.status(201).json(putStripePayment(data, { orderId, ...rest }));
  });

  return outer;
}

/** The Stripe stand-in, as the sandbox mounts it. */
export function standIn(state: SystemState): StandIn<StripeData> {
  const data = createStripeData();
  return {
    router: stripeRouter(state, data),
    data,
    reset: () => {
      data.events.length = 0;
      data.paymentIntents.length = 0;
    },
  };
}
