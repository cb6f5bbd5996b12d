import Stripe from 'stripe';
import { stripeMockPath } from '../../src/dev/provision-tools.js';
import { type StripeMock, startStripeMock } from '../../src/dev/stripe-mock';

describe('stripe-mock, as provisioned', () => {
  let mock: StripeMock;
  let stripe: Stripe;

  beforeAll(async () => {
    mock = await startStripeMock({ binPath: stripeMockPath() });
    stripe = new Stripe(mock.apiKey, { host: mock.host, port: mock.port, protocol: 'http', maxNetworkRetries: 0 });
  });

  afterAll(async () => {
    await mock?.stop();
  });

  test('a valid request, made with the Stripe SDK, gets an object of the shape the spec gives', async () => {
    const customer = await stripe.customers.create({ email: 'customer@example.test', metadata: { order: 'o-1' } });
    expect(customer.object).toBe('customer');
    expect(customer.id).toMatch(/^cus_/);
  });

  test('a parameter the spec does not have is refused with a 400 by its validation', async () => {
    const res = await fetch(`${mock.url}/v1/customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${mock.apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'customer@example.test', not_a_customer_field: 'x' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/validation error.*additional properties are not allowed/);
  });

  test('a parameter of the wrong type is refused with a 400, which the SDK raises as an invalid request', async () => {
    const refused = stripe.customers.create({ balance: 'not a number' as unknown as number });
    await expect(refused).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await expect(refused).rejects.toMatchObject({ statusCode: 400 });
  });
});
