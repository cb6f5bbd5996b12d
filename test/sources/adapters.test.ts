import { loadConfig } from '../../src/config';
import { PayloadError, SignatureError, createSources, type Delivery, distinctHeaders } from '../../src/api/sources';
import { orderPaidBody, signShop, type SignedRequest } from '../helpers/signing';
import { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from './senders';

// The adapters alone: each provider's own signing (its library, or its documented HMAC) is accepted, and each
// payload becomes the canonical event the flows consume.

const config = loadConfig({ NODE_ENV: 'test' });
const sources = createSources(config);
const source = (name: 'shop' | 'shopify' | 'stripe') => sources.get(name)!;
const secretOf = (name: 'shop' | 'shopify' | 'stripe') => config.sources[name].secrets[0]!;

function delivery(req: SignedRequest, receivedAt = new Date()): Delivery {
  return { rawBody: Buffer.from(req.body), headers: distinctHeaders(req.headers), receivedAt };
}

function accept(name: 'shop' | 'shopify' | 'stripe', req: SignedRequest, secrets = config.sources[name].secrets) {
  const { adapter } = source(name);
  const d = delivery(req);
  adapter.verify(d, secrets);
  return adapter.translate(JSON.parse(req.body), d);
}

describe('shopify adapter', () => {
  test('when Shopify signs orders/paid with the app secret, it becomes OrderPaid keyed by the order name', () => {
    const req = signShopify(secretOf('shopify'), 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', shopifyOrderPaidBody('ORD-7'));
    expect(accept('shopify', req)).toEqual({
      eventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      eventType: 'orders/paid',
      apiVersion: '2025-01',
      // The webhook id is unsigned, so the signed order identifies the event for deduplication.
      dedupeKey: 'orders/paid:ORD-7',
      event: {
        type: 'OrderPaid',
        source: 'shopify',
        eventId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        occurredAt: '2024-11-12T10:41:07+01:00',
        order: { id: 'ORD-7', total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' },
      },
    });
  });

  test('when the secret is being rotated, a delivery signed with either secret is accepted', () => {
    const secrets = ['shpss_old_secret_0001', 'shpss_new_secret_0002'];
    for (const secret of secrets) {
      expect(() => accept('shopify', signShopify(secret, 'w1', shopifyOrderPaidBody('ORD-1')), secrets)).not.toThrow();
    }
    expect(() =>
      accept('shopify', signShopify('shpss_someone_else', 'w1', shopifyOrderPaidBody('ORD-1')), secrets),
    ).toThrow(SignatureError);
  });

  test('when the webhook id header is missing, the error names it', () => {
    const req = signShopify(secretOf('shopify'), 'w1', shopifyOrderPaidBody('ORD-1'));
    delete req.headers['x-shopify-webhook-id'];
    expect(() => accept('shopify', req)).toThrow(expect.objectContaining({ field: 'x-shopify-webhook-id' }));
  });

  test('when total_price is not a decimal string, the error names the field', () => {
    const req = signShopify(secretOf('shopify'), 'w1', shopifyOrderPaidBody('ORD-1', { total_price: 1499 }));
    expect(() => accept('shopify', req)).toThrow(PayloadError);
    expect(() => accept('shopify', req)).toThrow(expect.objectContaining({ field: 'total_price' }));
  });

  test('when a captured orders/create body is resent as orders/paid, it is no OrderPaid: the error names financial_status', () => {
    // Shopify signs the body only; the topic header is anyone's to change.
    const created = shopifyOrderPaidBody('ORD-8', { financial_status: 'pending' });
    const genuine = signShopify(secretOf('shopify'), 'w-create', created, { topic: 'orders/create' });
    expect(accept('shopify', genuine).event).toBeUndefined();
    const relabelled = signShopify(secretOf('shopify'), 'w-replay', created, { topic: 'orders/paid' });
    expect(() => accept('shopify', relabelled)).toThrow(PayloadError);
    expect(() => accept('shopify', relabelled)).toThrow(expect.objectContaining({ field: 'financial_status' }));
  });

  test('when the topic has no flow, the delivery translates to no event', () => {
    const req = signShopify(secretOf('shopify'), 'w2', '{"id":1}', { topic: 'orders/create' });
    expect(accept('shopify', req)).toEqual({ eventId: 'w2', eventType: 'orders/create', apiVersion: '2025-01' });
  });
});

describe('stripe adapter', () => {
  test('when stripe signs payment_intent.succeeded, it becomes PaymentSucceeded for metadata.order_id', () => {
    const req = signStripe(secretOf('stripe'), stripePaymentBody('evt_1Abc', 'ORD-9'));
    expect(accept('stripe', req)).toMatchObject({
      eventId: 'evt_1Abc',
      eventType: 'payment_intent.succeeded',
      apiVersion: '2025-03-31.basil',
      event: {
        type: 'PaymentSucceeded',
        source: 'stripe',
        eventId: 'evt_1Abc',
        payment: { id: 'pi_1Abc', orderId: 'ORD-9', amount: 1499, currency: 'PLN' },
      },
    });
  });

  test('when the currency has no minor unit (JPY) or three (KWD), the amount is converted accordingly', () => {
    const jpy = accept(
      'stripe',
      signStripe(secretOf('stripe'), stripePaymentBody('evt_j', 'O', { amount: 1500, currency: 'jpy' })),
    );
    expect(jpy.event).toMatchObject({ payment: { amount: 1500, currency: 'JPY' } });
    const kwd = accept(
      'stripe',
      signStripe(secretOf('stripe'), stripePaymentBody('evt_k', 'O', { amount: 12340, currency: 'kwd' })),
    );
    expect(kwd.event).toMatchObject({ payment: { amount: 12.34, currency: 'KWD' } });
  });

  test('when Stripe sends several v1 signatures (secret roll), one matching is enough', () => {
    const req = signStripe(secretOf('stripe'), stripePaymentBody('evt_2', 'ORD-2'));
    const other = signStripe('whsec_rolled_out_secret', req.body).headers['stripe-signature']!.split(',')[1];
    req.headers['stripe-signature'] = `${req.headers['stripe-signature']},${other}`;
    expect(() => accept('stripe', req)).not.toThrow();
    req.headers['stripe-signature'] = req.headers['stripe-signature']!.replace(/,v1=[0-9a-f]+,/, ',');
    expect(() => accept('stripe', req)).toThrow(expect.objectContaining({ reason: 'mismatch' }));
  });

  test('when metadata.order_id is missing, the error names the field', () => {
    const body = JSON.parse(stripePaymentBody('evt_3', 'ORD-3'));
    delete body.data.object.metadata.order_id;
    const req = signStripe(secretOf('stripe'), JSON.stringify(body));
    expect(() => accept('stripe', req)).toThrow(expect.objectContaining({ field: 'data.object.metadata.order_id' }));
  });

  test('when the event id is not evt_…, the error names the field', () => {
    const req = signStripe(secretOf('stripe'), stripePaymentBody('evt_4', 'ORD-4').replace('"evt_4"', '"../x"'));
    expect(() => accept('stripe', req)).toThrow(expect.objectContaining({ field: 'id' }));
  });

  test('when the event type has no flow, the delivery translates to no event', () => {
    const req = signStripe(secretOf('stripe'), stripePaymentBody('evt_5', 'O', { type: 'charge.refunded' }));
    expect(accept('stripe', req).event).toBeUndefined();
  });
});

describe('every source', () => {
  test('when a source has no secret at all, the sources cannot be created', () => {
    const broken = { ...config, sources: { ...config.sources, stripe: { ...config.sources.stripe, secrets: [] } } };
    expect(() => createSources(broken)).toThrow(/"stripe" has no secret: set STRIPE_WEBHOOK_SECRET/);
  });

  test('when the shop signs with the standardwebhooks library, the delivery is accepted', () => {
    const req = signShop(secretOf('shop'), 'evt_s1', orderPaidBody('evt_s1', 'ORD-1'));
    expect(accept('shop', req).event).toMatchObject({ type: 'OrderPaid', order: { id: 'ORD-1' } });
  });

  test('each adapter declares the provider API versions it was written against', () => {
    for (const [, { adapter }] of sources) expect(adapter.knownApiVersions.length).toBeGreaterThan(0);
  });
});
