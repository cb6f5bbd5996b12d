import { randomBytes } from 'node:crypto';
import { BUSINESS_KEY, EVENT_ID, EVENT_TYPE, SOURCE } from '../../src/domain/search-attributes';
import { orderPaidBody, signShop, type SignedRequest } from '../helpers/signing';
import { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from '../sources/senders';
import { type Answer, type InProcessApi, rawHeaders, startInProcessApi } from './in-process';

// What the ingress does with what nobody signed: Shopify's topic and API version headers, repeated headers, and
// values that end up as metric labels, memo fields and search attributes.

type Source = 'shop' | 'shopify' | 'stripe';

describe('untrusted input at the ingress', () => {
  let api: InProcessApi;
  beforeAll(async () => {
    api = await startInProcessApi({ LOG_LEVEL: 'info' });
  });
  afterAll(() => api.stop());

  const secret = (name: Source) => api.config.sources[name].secrets[0]!;
  let serial = 0;
  const id = (prefix: string) => `${prefix}${randomBytes(4).toString('hex')}${(serial += 1)}`;

  async function deliver(source: Source, req: SignedRequest, headers = rawHeaders(req.headers)): Promise<Answer> {
    return api.send({ path: `/webhooks/${source}`, headers, body: req.body });
  }

  /** Sends and checks that nothing started; returns the parsed answer. */
  async function refused(source: Source, req: SignedRequest, headers?: Array<[string, string]>) {
    const before = api.starts.length;
    const answer = await deliver(source, req, headers);
    expect(api.starts.length).toBe(before);
    return { status: answer.status, body: JSON.parse(answer.body) as Record<string, unknown> };
  }

  describe('a Shopify topic header says what the signed body must confirm', () => {
    // Shopify's orders/create payload for an order awaiting payment: the same Order resource, financial_status
    // "pending". Signed by Shopify, then resent by whoever captured it with X-Shopify-Topic: orders/paid.
    const unpaid = (name: string, financialStatus: string | undefined) =>
      shopifyOrderPaidBody(name, { financial_status: financialStatus });

    test.each(['pending', 'authorized', 'partially_paid', 'voided', 'refunded', undefined])(
      'when an orders/create body with financial_status %s is relabelled orders/paid, the answer is 400 naming financial_status and nothing starts',
      async (financialStatus) => {
        const req = signShopify(secret('shopify'), id('wh-'), unpaid(id('ORD-'), financialStatus), {
          topic: 'orders/paid',
        });
        const { status, body } = await refused('shopify', req);
        expect(status).toBe(400);
        expect(body).toMatchObject({ error: 'invalid_payload', field: 'financial_status' });
        expect(String(body.message)).toMatch(/paid/);
      },
    );

    test('when the body says paid, orders/paid starts the flow', async () => {
      const before = api.starts.length;
      const req = signShopify(secret('shopify'), id('wh-'), shopifyOrderPaidBody(id('ORD-')));
      expect((await deliver('shopify', req)).status).toBe(202);
      expect(api.starts.length).toBe(before + 1);
    });
  });

  describe('a header that must appear once and arrives repeated is refused, never ignored', () => {
    const signed = (source: Source): SignedRequest => {
      const eventId = id('evt_');
      if (source === 'shop') return signShop(secret('shop'), eventId, orderPaidBody(eventId, id('ORD-')));
      if (source === 'shopify') return signShopify(secret('shopify'), id('wh-'), shopifyOrderPaidBody(id('ORD-')));
      return signStripe(secret('stripe'), stripePaymentBody(eventId, id('ORD-')));
    };
    const cases: Array<[Source, string]> = [
      ['shop', 'webhook-id'],
      ['shop', 'webhook-timestamp'],
      ['shop', 'webhook-signature'],
      ['shopify', 'x-shopify-hmac-sha256'],
      ['shopify', 'x-shopify-webhook-id'],
      ['shopify', 'x-shopify-topic'],
      ['shopify', 'x-shopify-api-version'],
      ['stripe', 'stripe-signature'],
      ['shop', 'content-type'],
      ['shopify', 'content-type'],
      ['stripe', 'content-type'],
    ];
    const repeats = {
      'the same value twice': (name: string, value: string): Array<[string, string]> => [
        [name, value],
        [name, value],
      ],
      'two values': (name: string, value: string): Array<[string, string]> => [
        [name, value],
        [name, name === 'content-type' ? 'text/plain' : `${value}x`],
      ],
      'the name in two cases': (name: string, value: string): Array<[string, string]> => [
        [name, value],
        [name.toUpperCase(), value],
      ],
    };

    test.each(cases.flatMap(([source, header]) => Object.keys(repeats).map((how) => [source, header, how] as const)))(
      'when %s receives %s as %s, the answer is 400 repeated_header naming it and nothing starts',
      async (source, header, how) => {
        const req = signed(source);
        const value = req.headers[header]!;
        const headers = [
          ...rawHeaders(req.headers).filter(([n]) => n !== header),
          ...repeats[how as keyof typeof repeats](header, value),
        ];
        const { status, body } = await refused(source, req, headers);
        expect({ status, error: body.error, header: body.header }).toEqual({
          status: 400,
          error: 'repeated_header',
          header,
        });
        expect(String(body.message)).toContain(header);
      },
    );
  });

  describe('values from input are bounded before they become labels, memo fields or search attributes', () => {
    /** The series of the exposition: each sample line without its value. */
    const expositionSeries = async () =>
      (await (await fetch(`${api.operatorUrl}/metrics`)).text())
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.slice(0, l.lastIndexOf(' ')));

    // One of each class of value a sender can choose: an unknown topic, a long one, Latin-1 bytes and tabs (Node
    // passes them through in header values), API versions newer, older or between the declared ones, and garbage.
    const classes: Array<() => string> = [
      () => `orders/${randomBytes(6).toString('hex')}`,
      () => 'x'.repeat(1000 + (randomBytes(1)[0]! % 200)) + randomBytes(3).toString('hex'),
      () => `${randomBytes(4).toString('hex')}\u00ff\u00e9\t${randomBytes(2).toString('hex')}`,
      () => `${2100 + (randomBytes(1)[0]! % 800)}-0${1 + (randomBytes(1)[0]! % 9)}`,
      () => `${2100 + (randomBytes(1)[0]! % 800)}-0${1 + (randomBytes(1)[0]! % 9)}-1${randomBytes(1)[0]! % 10}.zeta`,
      () => `${1900 + (randomBytes(1)[0]! % 100)}-1${randomBytes(1)[0]! % 3}`,
      () => `${1900 + (randomBytes(1)[0]! % 100)}-1${randomBytes(1)[0]! % 3}-2${randomBytes(1)[0]! % 9}`,
      () => `2025-0${2 + (randomBytes(1)[0]! % 2)}`,
      () => `2025-0${1 + (randomBytes(1)[0]! % 2)}-1${randomBytes(1)[0]! % 10}.omega`,
    ];
    const anyText = () => classes[randomBytes(1)[0]! % classes.length]!();
    const spellings = (name: string) => [name, [...name].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')];
    const anySpelling = (name: string) =>
      [...name].map((c) => (randomBytes(1)[0]! % 2 ? `%${c.charCodeAt(0).toString(16)}` : c)).join('');

    /** Each kind of delivery a sender controls, with its free text taken from `text`, its path spelled by `spell`. */
    const kinds: Array<(text: () => string, spell: (name: string) => string) => Promise<unknown>> = [
      // Shopify: any topic (an unsigned header), any API version.
      (text) =>
        deliver(
          'shopify',
          signShopify(secret('shopify'), id('wh-'), shopifyOrderPaidBody(id('ORD-')), {
            topic: text(),
            apiVersion: text(),
          }),
        ),
      // Shopify: a real orders/paid with any API version: accepted, so its memo is written.
      (text) =>
        deliver(
          'shopify',
          signShopify(secret('shopify'), id('wh-'), shopifyOrderPaidBody(id('ORD-')), { apiVersion: text() }),
        ),
      // Stripe and the shop: signed event types and API versions of any kind.
      (text) =>
        deliver(
          'stripe',
          signStripe(
            secret('stripe'),
            stripePaymentBody(id('evt_'), id('ORD-'), { type: text().slice(0, 120), apiVersion: text() }),
          ),
        ),
      (text) =>
        deliver(
          'stripe',
          signStripe(secret('stripe'), stripePaymentBody(id('evt_'), id('ORD-'), { apiVersion: text() })),
        ),
      (text) => {
        const eventId = id('evt_');
        const body = orderPaidBody(eventId, id('ORD-'), { event: text(), api_version: text() });
        return deliver('shop', signShop(secret('shop'), eventId, body));
      },
      (text) => {
        const eventId = id('evt_');
        return deliver(
          'shop',
          signShop(secret('shop'), eventId, orderPaidBody(eventId, id('ORD-'), { api_version: text() })),
        );
      },
      // A source name spelled with percent-escapes routes to that source, and is refused for its content type.
      async (_text, spell) => {
        for (const name of ['shop', 'shopify', 'stripe']) {
          await api.send({ path: `/webhooks/${spell(name)}`, headers: [['Content-Type', 'text/plain']], body: '{}' });
        }
      },
    ];

    test('when 1,000 deliveries carry random topics, event types and API versions, the /metrics series count does not change after the first few', async () => {
      // The first few: each kind with each class of value, and each source spelled plainly and escaped.
      for (const kind of kinds) {
        for (const value of classes)
          for (const spell of [(n: string) => spellings(n)[0]!, (n: string) => spellings(n)[1]!]) {
            await kind(value, spell);
          }
      }
      const before = await expositionSeries();
      for (let i = 0; i < 1000; i += 1) await kinds[randomBytes(1)[0]! % kinds.length]!(anyText, anySpelling);
      const after = await expositionSeries();
      expect(after.filter((series) => !before.includes(series))).toEqual([]);
      expect(after.length).toBe(before.length);
      console.log(`/metrics: ${before.length} series after the first few deliveries, ${after.length} after 1,000 more`);
    }, 60_000);

    test('when an API version is long or has odd characters, the memo keeps a bounded printable form of it', async () => {
      for (const apiVersion of ['9'.repeat(5000), '2099-01\u00ff\u00e9\tz', `${'2099-01'}${' x'.repeat(40)}`]) {
        const before = api.starts.length;
        const req = signShopify(secret('shopify'), id('wh-'), shopifyOrderPaidBody(id('ORD-')), { apiVersion });
        expect((await deliver('shopify', req)).status).toBe(202);
        expect(api.starts.length).toBe(before + 1);
        const memo = api.starts.at(-1)!.memo as { apiVersion: string; apiVersionKnown: boolean };
        expect(memo.apiVersionKnown).toBe(false);
        expect(memo.apiVersion.length).toBeLessThanOrEqual(64);
        expect(memo.apiVersion).toMatch(/^[\x21-\x7e]+$/);
        expect(memo.apiVersion.startsWith(apiVersion.slice(0, 7))).toBe(true);
      }
      // No log line carries the 5,000-character value either.
      expect(api.logLines.some((l) => l.includes('9'.repeat(200)))).toBe(false);
    });

    test.each([
      ['a control character', 'ORD-\u0007-1'],
      ['a line break', 'ORD-1\nIntegrationStatus = "failed"'],
      ['a bidirectional override', 'ORD-\u202e1-DRO'],
      ['a zero-width space', 'ORD-\u200b1'],
      ['more than 128 characters', `ORD-${'1'.repeat(200)}`],
    ])('when an order id carries %s, the answer is 400 naming the field and nothing starts', async (_what, orderId) => {
      const shopEvent = id('evt_');
      const shop = await refused('shop', signShop(secret('shop'), shopEvent, orderPaidBody(shopEvent, orderId)));
      expect(shop).toMatchObject({ status: 400, body: { error: 'invalid_payload', field: 'order.id' } });
      const shopify = await refused(
        'shopify',
        signShopify(secret('shopify'), id('wh-'), shopifyOrderPaidBody(orderId)),
      );
      expect(shopify).toMatchObject({ status: 400, body: { error: 'invalid_payload', field: 'name' } });
      const stripeEvent = id('evt_');
      const stripe = await refused('stripe', signStripe(secret('stripe'), stripePaymentBody(stripeEvent, orderId)));
      expect(stripe).toMatchObject({
        status: 400,
        body: { error: 'invalid_payload', field: 'data.object.metadata.order_id' },
      });
    });

    test('every search attribute of an accepted start is a short printable keyword', async () => {
      const eventId = id('evt_');
      const req = signShop(secret('shop'), eventId, orderPaidBody(eventId, 'Zamówienie #1001'));
      expect((await deliver('shop', req)).status).toBe(202);
      const attributes = api.starts.at(-1)!.typedSearchAttributes as Array<{ key: { name: string }; value: unknown }>;
      const keywords = attributes.filter((a) => [SOURCE, EVENT_TYPE, EVENT_ID, BUSINESS_KEY].includes(a.key as never));
      expect(keywords).toHaveLength(4);
      for (const { value } of keywords) {
        expect(typeof value).toBe('string');
        expect((value as string).length).toBeLessThanOrEqual(128);
        expect(value).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      }
      expect(keywords.find((a) => a.key === BUSINESS_KEY)?.value).toBe('Zamówienie #1001');
    });
  });
});
