import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../src/contracts/failures';
import { loadConfig } from '../../../src/config/index';
import { createDownstreamClient } from '../../../src/kit/http/index';
import { createSandbox, sandboxKeys } from '../../../src/sandbox/server';
import {
  createStripeActivities,
  type PaymentEventsPage,
  type RetrievedPaymentIntent,
} from '../../../src/systems/stripe/activities';
import { putStripePayment } from '../../../src/systems/stripe/stand-in';
import { activityEnvironment } from '../../helpers/activity-environment';
import { closeServer, uniqueId } from '../../helpers/stack';

// The Stripe activities against the sandbox's stand-in: Stripe's cursor pagination, a 429 with Retry-After, a key
// it refuses, and its error envelope.

describe('the Stripe activities against the sandbox stand-in', () => {
  const config = loadConfig({ NODE_ENV: 'test' });
  const sandbox = createSandbox(sandboxKeys(config));
  let url: string;
  let close: () => Promise<void>;
  const links = { temporalUiUrl: 'http://localhost:8233', namespace: 'default' };
  const activitiesWith = (apiKey: string) =>
    createStripeActivities({
      client: createDownstreamClient({ name: 'stripe', baseUrl: `${url}/stripe`, apiKey }, { timeoutMs: 10_000 }),
      ...links,
    });

  beforeAll(async () => {
    const started = await sandbox.listen(0);
    url = started.url;
    close = () => closeServer(started.server);
  });
  afterAll(() => close());
  afterEach(() => sandbox.systems.stripe!.reset());

  test('pages newest first with starting_after until has_more is false, within [since, until]', async () => {
    const data = sandbox.data.stripe;
    const base = 1_780_000_000;
    const orders = Array.from({ length: 25 }, (_, i) => uniqueId(`ORD-${i}-`));
    const events = orders.map((orderId, i) =>
      putStripePayment(data, { orderId, amount: 1000 + i, currency: 'pln', created: base + i * 60 }),
    );
    putStripePayment(data, { orderId: 'too-late', amount: 1, currency: 'pln', created: base + 10_000 });
    putStripePayment(data, { orderId: 'too-early', amount: 1, currency: 'pln', created: base - 1 });

    const activities = activitiesWith(config.systems.stripe.apiKey!);
    const env = activityEnvironment();
    const window = {
      since: new Date(base * 1000).toISOString(),
      until: new Date((base + 24 * 60) * 1000).toISOString(),
      limit: 10,
    };
    const pages: PaymentEventsPage[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = (await env.run(activities.listPaymentEvents, {
        ...window,
        startingAfter: cursor,
      })) as PaymentEventsPage;
      pages.push(page);
      if (!page.hasMore) break;
      cursor = page.cursor!;
    }
    expect(pages.map((p) => p.events.length)).toEqual([10, 10, 5]);
    const listed = pages.flatMap((p) => p.events);
    expect(listed.map((e) => e.eventId)).toEqual([...events].reverse().map((e) => e.id));
    expect(listed[0]).toEqual({
      eventId: events[24]!.id,
      created: new Date((base + 24 * 60) * 1000).toISOString(),
      paymentIntentId: events[24]!.data.object.id,
      amountMinor: 1024,
      currency: 'pln',
      payment: { id: events[24]!.data.object.id, orderId: orders[24], amount: 10.24, currency: 'PLN' },
    });

    const intent = (await env.run(activities.retrievePaymentIntent, {
      id: events[3]!.data.object.id,
    })) as RetrievedPaymentIntent;
    expect(intent).toEqual({
      id: events[3]!.data.object.id,
      status: 'succeeded',
      amountReceived: 1003,
      currency: 'pln',
      amount: 10.03,
      metadata: { order_id: orders[3] },
    });
  });

  test('a 429 with Retry-After is our throttled failure carrying the delay; the retry after it gets the page', async () => {
    putStripePayment(sandbox.data.stripe, { orderId: uniqueId('ORD-'), amount: 500, currency: 'eur' });
    sandbox.systems.stripe!.setFaults({
      ...sandbox.systems.stripe!.faults,
      throttle: { retryAfterSeconds: 2, count: 1 },
    });
    const activities = activitiesWith(config.systems.stripe.apiKey!);
    const input = { since: new Date(Date.now() - 60_000).toISOString(), limit: 10 };
    const err = await activityEnvironment()
      .run(activities.listPaymentEvents, input)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe(FailureType.throttled);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(2000);
    expect(failure.message).toMatch(/answered 429: stripe is throttling callers/);
    const page = (await activityEnvironment().run(activities.listPaymentEvents, input)) as PaymentEventsPage;
    expect(page.events).toHaveLength(1);
  });

  test('a key the stand-in refuses is a non-retryable rejection with its message, in Stripe’s error envelope', async () => {
    const activities = activitiesWith('sk_test_not_the_sandbox_key');
    const err = await activityEnvironment()
      .run(activities.retrievePaymentIntent, { id: 'pi_1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(FailureType.rejected);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(/answered 401: missing or wrong API key for stripe/);

    const res = await fetch(`${url}/stripe/v1/events`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { type: 'invalid_request_error', code: 'api_key_invalid', message: 'missing or wrong API key for stripe' },
    });
  });

  test('an unknown PaymentIntent is a rejection with Stripe’s message; an unknown parameter too', async () => {
    const activities = activitiesWith(config.systems.stripe.apiKey!);
    const err = await activityEnvironment()
      .run(activities.retrievePaymentIntent, { id: 'pi_missing' })
      .catch((e: unknown) => e);
    expect((err as ApplicationFailure).type).toBe(FailureType.rejected);
    expect((err as ApplicationFailure).message).toMatch(/answered 404: No such payment_intent: 'pi_missing'/);
    const res = await fetch(`${url}/stripe/v1/events?bogus=1`, {
      headers: { authorization: `Bearer ${config.systems.stripe.apiKey}` },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'parameter_unknown' } });
  });

  test('the seed route records a succeeded payment whose webhook nobody sent; the events list shows it first', async () => {
    const headers = { authorization: `Bearer ${config.systems.stripe.apiKey}`, 'content-type': 'application/json' };
    const orderId = uniqueId('ORD-');
    const res = await fetch(`${url}/stripe/_sandbox/payments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ order_id: orderId, amount: 4200, currency: 'pln' }),
    });
    expect(res.status).toBe(201);
    const event = (await res.json()) as { id: string; type: string; data: { object: { id: string } } };
    expect(event).toMatchObject({
      type: 'payment_intent.succeeded',
      data: { object: { metadata: { order_id: orderId } } },
    });
    const list = (await (
      await fetch(`${url}/stripe/v1/events?type=payment_intent.succeeded&limit=1`, { headers })
    ).json()) as { data: Array<{ id: string }> };
    expect(list.data.map((e) => e.id)).toEqual([event.id]);
    const refused = await fetch(`${url}/stripe/_sandbox/payments`, { method: 'POST', headers, body: '{}' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
