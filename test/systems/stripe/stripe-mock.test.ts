import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../src/contracts/failures';
import { type StripeMock, startStripeMock } from '../../../src/dev/stripe-mock';
import { createDownstreamClient } from '../../../src/kit/http/index';
import {
  createStripeActivities,
  type PaymentEventsPage,
  type RetrievedPaymentIntent,
  STRIPE_API_VERSION,
} from '../../../src/systems/stripe/activities';
import { activityEnvironment } from '../../helpers/activity-environment';

// Every Stripe call the connector makes, each parameter combination it uses, against stripe-mock (Stripe's own
// OpenAPI-validating mock): a parameter Stripe does not take fails here, not in production. stripe-mock's answers
// are fixtures, so this checks the requests and that the answers parse, not their values.

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, like the provisioning script.
const { stripeMockPath } = require('../../../src/dev/provision-tools.js') as { stripeMockPath(): string };

describe('the Stripe connector against stripe-mock', () => {
  let mock: StripeMock;
  let activities: ReturnType<typeof createStripeActivities>;
  const sent: Array<{ url: string; headers: Headers }> = [];

  beforeAll(async () => {
    let binPath: string;
    try {
      binPath = stripeMockPath();
    } catch (err) {
      throw new Error(
        `stripe-mock is not provisioned: run \`node scripts/provision-tools --quiet\` (${(err as Error).message})`,
        { cause: err },
      );
    }
    mock = await startStripeMock({ binPath });
    const recording: typeof fetch = (input, init) => {
      sent.push({ url: String(input), headers: new Headers(init?.headers) });
      return fetch(input, init);
    };
    const client = createDownstreamClient(
      { name: 'stripe', baseUrl: mock.url, apiKey: mock.apiKey },
      { timeoutMs: 10_000, fetch: recording },
    );
    activities = createStripeActivities({ client, temporalUiUrl: 'http://localhost:8233', namespace: 'default' });
  });
  afterAll(() => mock?.stop());
  beforeEach(() => (sent.length = 0));

  const last = () => {
    const call = sent.at(-1)!;
    return { url: new URL(call.url), headers: call.headers };
  };

  test('events.list: type, created[gte] and limit (the first page of an open-ended window)', async () => {
    const env = activityEnvironment();
    const page = (await env.run(activities.listPaymentEvents, {
      since: '2026-01-01T00:00:00Z',
      limit: 100,
    })) as PaymentEventsPage;
    expect(Array.isArray(page.events)).toBe(true);
    expect(typeof page.hasMore).toBe('boolean');
    const { url, headers } = last();
    expect(url.pathname).toBe('/v1/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      type: 'payment_intent.succeeded',
      'created[gte]': String(Date.parse('2026-01-01T00:00:00Z') / 1000),
      limit: '100',
    });
    // The pinned version goes out, and the key is the client layer's (STRIPE_API_KEY), not the SDK's placeholder.
    expect(headers.get('stripe-version')).toBe(STRIPE_API_VERSION);
    expect(headers.get('authorization')).toBe(`Bearer ${mock.apiKey}`);
  });

  test('events.list: created[gte] and created[lte], then starting_after (the next page)', async () => {
    const env = activityEnvironment();
    const window = { since: '2026-01-01T00:00:00Z', until: '2026-01-01T03:00:00Z', limit: 10 };
    const first = (await env.run(activities.listPaymentEvents, window)) as PaymentEventsPage;
    expect(Object.fromEntries(last().url.searchParams)).toMatchObject({
      'created[gte]': String(Date.parse(window.since) / 1000),
      'created[lte]': String(Date.parse(window.until) / 1000),
    });
    const next = (await env.run(activities.listPaymentEvents, {
      ...window,
      startingAfter: first.cursor ?? 'evt_123',
    })) as PaymentEventsPage;
    expect(Array.isArray(next.events)).toBe(true);
    expect(last().url.searchParams.get('starting_after')).toBe(first.cursor ?? 'evt_123');
  });

  test('payment_intents.retrieve', async () => {
    const env = activityEnvironment();
    const intent = (await env.run(activities.retrievePaymentIntent, { id: 'pi_123' })) as RetrievedPaymentIntent;
    expect(last().url.pathname).toBe('/v1/payment_intents/pi_123');
    expect(intent).toMatchObject({ id: expect.stringMatching(/^pi_/), status: expect.any(String) });
    expect(typeof intent.amountReceived).toBe('number');
    expect(typeof intent.currency).toBe('string');
  });

  test('a parameter Stripe refuses is rejected by stripe-mock, and is our non-retryable rejection with its message', async () => {
    const env = activityEnvironment();
    const err = await env
      .run(activities.listPaymentEvents, { since: '2026-01-01T00:00:00Z', limit: 1.5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe(FailureType.rejected);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/stripe GET \/v1\/events answered 400: Request validation error.*limit/);
  });
});
