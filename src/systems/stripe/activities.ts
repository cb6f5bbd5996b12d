import Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../contracts/failures';
import { MINOR_UNITS } from '../../domain/currencies';
import { fromMinorUnits } from '../../domain/money';
import type { SystemActivityDeps } from '../../kit/activity-deps';
import { clientFailureOf } from '../../kit/http';
import { safeText } from '../../redaction';
import { PAYMENT_SUCCEEDED_EVENT, STRIPE_API_VERSION } from './wire';

// Stripe: the source of truth for payments. We read it through the official SDK, whose every call goes through the
// client layer (client.fetch): our rate gate, Retry-After, timeouts, metrics and failure classes. The SDK retries
// nothing (maxNetworkRetries 0): Temporal's retry policies do.

export { STRIPE_API_VERSION } from './wire';

/** The SDK sends this; the client layer replaces it with STRIPE_API_KEY, so the key lives in one place. */
const SDK_PLACEHOLDER_KEY = 'sk_sent_by_the_client_layer';

/** Above the client layer's own timeout (DOWNSTREAM_TIMEOUT_MS), so that one is what ends a slow call. */
const SDK_TIMEOUT_MS = 10 * 60_000;

export interface ListPaymentEventsInput {
  /** Events created at or after this time (ISO 8601). */
  since: string;
  /** And at or before this one, when given (ISO 8601): reconciliation leaves younger events to their webhook. */
  until?: string;
  /** The last event id of the previous page (Stripe's cursor). */
  startingAfter?: string;
  /** 1 to 100 (Stripe's bounds). */
  limit: number;
}

/** One payment_intent.succeeded event, as reconciliation needs it. */
export interface PaymentEvent {
  eventId: string;
  /** When the event happened (ISO 8601). */
  created: string;
  paymentIntentId: string;
  /** amount_received in the currency's minor units, as Stripe gives it. */
  amountMinor: number;
  /** Lower case, as Stripe gives it. */
  currency: string;
  /** The canonical payment (amount in major units, currency upper case), or why the webhook path would refuse it. */
  payment: { id: string; orderId: string; amount: number; currency: string } | { problem: string };
}

export interface PaymentEventsPage {
  events: PaymentEvent[];
  hasMore: boolean;
  /** The last event's id: `startingAfter` for the next page; null on an empty page. */
  cursor: string | null;
}

/** A PaymentIntent as Stripe reports it now. */
export interface RetrievedPaymentIntent {
  id: string;
  status: string;
  /** Minor units, as Stripe gives it. */
  amountReceived: number;
  /** Lower case, as Stripe gives it. */
  currency: string;
  metadata: Record<string, string>;
  /** amountReceived in major units and the currency upper case, as the canonical PaymentSucceeded has them. */
  amount?: number;
}

/** Stripe's `created` (unix seconds) from an ISO time, rounded to include the instant. */
const unixSeconds = (iso: string, round: (x: number) => number) => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    throw ApplicationFailure.nonRetryable(`not an ISO 8601 time: ${safeText(iso)}`, FailureType.programming);
  }
  return round(ms / 1000);
};

/** The canonical payment of a PaymentIntent, as the webhook source translates it, or why it would refuse it. */
function canonicalPayment(intent: Stripe.PaymentIntent): PaymentEvent['payment'] {
  if (intent.object !== 'payment_intent' || typeof intent.currency !== 'string') {
    return { problem: `event object ${safeText(String(intent.id), 64)} is not a PaymentIntent` };
  }
  const orderId = intent.metadata?.order_id;
  if (!orderId) return { problem: `PaymentIntent ${intent.id} has no metadata.order_id` };
  if (!MINOR_UNITS.has(intent.currency.toUpperCase())) {
    return {
      problem: `PaymentIntent ${intent.id} is in ${safeText(intent.currency, 16)}, a currency Switchyard does not know`,
    };
  }
  return {
    id: intent.id,
    orderId,
    amount: fromMinorUnits(intent.amount_received, intent.currency),
    currency: intent.currency.toUpperCase(),
  };
}

/** A Stripe error the client layer did not already classify (it classifies every HTTP answer), as our failure. */
function ourFailure(err: unknown): unknown {
  const ours = clientFailureOf(err);
  if (ours) return ours;
  if (err instanceof Stripe.errors.StripeError) {
    const message = `stripe: ${safeText(err.message)}`;
    const status = err.statusCode ?? 0;
    if (status === 429 || status >= 500 || status === 0) {
      return ApplicationFailure.retryable(message, status === 429 ? FailureType.throttled : FailureType.unavailable);
    }
    return ApplicationFailure.nonRetryable(message, FailureType.rejected, { system: 'stripe', status });
  }
  return err;
}

/** The SDK, configured to call `client` (STRIPE_API_URL and STRIPE_API_KEY) and to retry nothing itself. */
export function stripeSdk(client: SystemActivityDeps['client']): Stripe {
  const base = new URL(client.baseUrl);
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(SDK_PLACEHOLDER_KEY, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: 0,
    // Every request goes through the client layer, which rebases its path onto STRIPE_API_URL (whose own path, the
    // sandbox's /stripe, the SDK has no setting for); host, port and protocol say the same URL.
    httpClient: Stripe.createFetchHttpClient(client.fetch),
    host: base.hostname,
    port: base.port || (protocol === 'https' ? 443 : 80),
    protocol,
    timeout: SDK_TIMEOUT_MS,
    telemetry: false,
  });
}

export function createStripeActivities({ client }: SystemActivityDeps) {
  const stripe = stripeSdk(client);
  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw ourFailure(err);
    }
  }

  return {
    /** One page of payment_intent.succeeded events created in [since, until], newest first, as Stripe lists them. */
    async listPaymentEvents(input: ListPaymentEventsInput): Promise<PaymentEventsPage> {
      const created: Stripe.RangeQueryParam = { gte: unixSeconds(input.since, Math.floor) };
      if (input.until !== undefined) created.lte = unixSeconds(input.until, Math.ceil);
      const page = await call(() =>
        stripe.events.list({
          type: PAYMENT_SUCCEEDED_EVENT,
          created,
          limit: input.limit,
          ...(input.startingAfter ? { starting_after: input.startingAfter } : {}),
        }),
      );
      const events = page.data.map((event): PaymentEvent => {
        const intent = event.data.object as Stripe.PaymentIntent;
        return {
          eventId: event.id,
          created: new Date(event.created * 1000).toISOString(),
          paymentIntentId: String(intent.id),
          amountMinor: Number(intent.amount_received ?? 0),
          currency: String(intent.currency ?? ''),
          payment: canonicalPayment(intent),
        };
      });
      return { events, hasMore: page.has_more, cursor: events.at(-1)?.eventId ?? null };
    },

    /** The PaymentIntent as Stripe reports it now: what paymentSucceeded records when it verifies by fetching. */
    async retrievePaymentIntent(input: { id: string }): Promise<RetrievedPaymentIntent> {
      const intent = await call(() => stripe.paymentIntents.retrieve(input.id));
      const known = MINOR_UNITS.has(intent.currency.toUpperCase());
      return {
        id: intent.id,
        status: intent.status,
        amountReceived: intent.amount_received,
        currency: intent.currency,
        metadata: { ...intent.metadata },
        ...(known ? { amount: fromMinorUnits(intent.amount_received, intent.currency) } : {}),
      };
    },
  };
}

export type StripeActivities = ReturnType<typeof createStripeActivities>;
