import { randomBytes } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { loadConfig } from '../../src/config';
import { createSources, type Delivery, distinctHeaders, SignatureError } from '../../src/api/sources';
import { orderPaidBody, signShop, type SignedRequest } from '../helpers/signing';
import { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from '../sources/senders';
import { type Answer, type InProcessApi, rawHeaders, startInProcessApi } from './in-process';

// Properties over hostile and broken deliveries, for every source. Signature properties run against the adapters
// directly (thousands per second); everything about HTTP runs against the real Express app in this process, with a
// starter that records: for every invalid input, the answer is the documented 4xx and nothing is started.
//
// Documented answers: 415 wrong content type or any Content-Encoding but identity, 413 body over the limit, 401 bad
// signature or stale timestamp, 400 invalid JSON / schema / empty body, and 431 from Node itself for request
// headers over 16 KiB (its --max-http-header-size; the request never reaches the app).

type Source = 'shop' | 'shopify' | 'stripe';
const SOURCES: readonly Source[] = ['shop', 'shopify', 'stripe'];
const SIG_HEADER: Record<Source, string> = {
  shop: 'webhook-signature',
  shopify: 'x-shopify-hmac-sha256',
  stripe: 'stripe-signature',
};

const secrets: Record<Source, string[]> = {
  shop: [`whsec_${randomBytes(24).toString('base64')}`, `whsec_${randomBytes(32).toString('base64')}`],
  shopify: [`shpss_${randomBytes(16).toString('hex')}`, `shpss_${randomBytes(16).toString('hex')}`],
  stripe: [`whsec_${randomBytes(16).toString('hex')}`, `whsec_${randomBytes(16).toString('hex')}`],
};
const ENV = {
  LOG_LEVEL: 'silent',
  WEBHOOK_SECRET_SHOP: secrets.shop.join(' '),
  WEBHOOK_SECRET_SHOPIFY: secrets.shopify.join(' '),
  WEBHOOK_SECRET_STRIPE: secrets.stripe.join(' '),
};
const STRANGER: Record<Source, string> = {
  shop: `whsec_${randomBytes(24).toString('base64')}`,
  shopify: `shpss_${randomBytes(16).toString('hex')}`,
  stripe: `whsec_${randomBytes(16).toString('hex')}`,
};
const config = loadConfig({ NODE_ENV: 'test', ...ENV });
const adapters = createSources(config);
const LIMIT = config.http.maxBodyBytes;

let cases = 0;
let serial = 0;
const nextId = () => `evt_p${(serial += 1)}`;

function sign(source: Source, secret: string, id: string, body: string, at = new Date()): SignedRequest {
  if (source === 'shop') return signShop(secret, id, body, at);
  if (source === 'shopify') return signShopify(secret, id, body);
  return signStripe(secret, body, at);
}

function validBody(source: Source, id: string): string {
  const order = `ORD-${id.slice(4)}`;
  if (source === 'shop') return orderPaidBody(id, order);
  if (source === 'shopify') return shopifyOrderPaidBody(order);
  return stripePaymentBody(id, order);
}

/** The MAC text inside a signature header, and how to put another in its place. */
function macOf(source: Source, header: string): { mac: string; rebuild: (mac: string) => string } {
  const m =
    source === 'shop' ? /^(v1,)(.*)$/.exec(header) : source === 'stripe' ? /^(t=\d+,v1=)(.*)$/.exec(header) : null;
  if (source !== 'shopify' && !m) throw new Error(`unexpected ${source} signature header: ${header}`);
  const prefix = m?.[1] ?? '';
  return { mac: m?.[2] ?? header, rebuild: (mac) => `${prefix}${mac}` };
}

// Characters that are valid in a header value and are neither whitespace nor a list separator.
const macChar = fc.constantFrom(...'ABCDEFabcdef0123456789+/=_-.:;!~xyzXYZé'.split(''));
const wrongSecret = (source: Source) =>
  fc
    .uint8Array({ minLength: 8, maxLength: 40 })
    .map((b) =>
      source === 'shop'
        ? `whsec_${Buffer.from(b).toString('base64')}`
        : `${source === 'stripe' ? 'whsec_' : 'shpss_'}${Buffer.from(b).toString('hex')}`,
    );

type Mangle =
  | { kind: 'flip'; index: number; char: string }
  | { kind: 'truncate'; keep: number }
  | { kind: 'extend'; extra: string }
  | { kind: 'replace'; text: string }
  | { kind: 'remove' }
  | { kind: 'wrong-secret'; secret: string }
  | { kind: 'tamper-body'; index: number; byte: number }
  | { kind: 'shift-timestamp'; delta: number };

const mangleArb = (source: Source): fc.Arbitrary<Mangle> =>
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), index: fc.nat(), char: macChar }),
    fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
    fc.record({
      kind: fc.constant('extend' as const),
      extra: fc.string({ unit: macChar, minLength: 1, maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant('replace' as const), text: fc.string({ maxLength: 120 }) }),
    fc.record({ kind: fc.constant('remove' as const) }),
    fc.record({ kind: fc.constant('wrong-secret' as const), secret: wrongSecret(source) }),
    fc.record({ kind: fc.constant('tamper-body' as const), index: fc.nat(), byte: fc.integer({ min: 1, max: 255 }) }),
    fc.record({
      kind: fc.constant('shift-timestamp' as const),
      delta: fc.integer({ min: -200, max: 200 }).filter((d) => d !== 0),
    }),
  );

/** A genuinely signed delivery made invalid by one mangling; every result must be rejected. */
function mangled(source: Source, m: Mangle, at = new Date()): SignedRequest & { id: string } {
  const id = nextId();
  const body = validBody(source, id);
  const req = sign(source, m.kind === 'wrong-secret' ? m.secret : secrets[source][0]!, id, body, at);
  const name = SIG_HEADER[source];
  const { mac, rebuild } = macOf(source, req.headers[name]!);
  switch (m.kind) {
    case 'flip': {
      const i = m.index % mac.length;
      const char = mac[i] === m.char ? (m.char === 'A' ? 'B' : 'A') : m.char;
      req.headers[name] = rebuild(mac.slice(0, i) + char + mac.slice(i + 1));
      break;
    }
    case 'truncate':
      req.headers[name] = rebuild(mac.slice(0, m.keep % mac.length));
      break;
    case 'extend':
      req.headers[name] = rebuild(mac + m.extra);
      break;
    case 'replace':
      req.headers[name] = m.text;
      break;
    case 'remove':
      delete req.headers[name];
      break;
    case 'tamper-body': {
      const bytes = Buffer.from(req.body);
      const i = m.index % bytes.length;
      bytes[i] = (bytes[i]! + m.byte) % 256;
      req.body = bytes.toString('latin1');
      break;
    }
    case 'shift-timestamp':
      if (source === 'shop')
        req.headers['webhook-timestamp'] = String(Number(req.headers['webhook-timestamp']) + m.delta);
      else if (source === 'stripe')
        req.headers[name] = req.headers[name]!.replace(/^t=(\d+)/, (_, t) => `t=${Number(t) + m.delta}`);
      else req.headers[name] = rebuild(mac.slice(1) + mac[0]);
      break;
  }
  return { ...req, id };
}

function deliveryOf(req: SignedRequest, receivedAt = new Date(), encoding: BufferEncoding = 'utf8'): Delivery {
  return { rawBody: Buffer.from(req.body, encoding), headers: distinctHeaders(req.headers), receivedAt };
}

function verify(source: Source, delivery: Delivery): 'accepted' | SignatureError['reason'] {
  try {
    adapters.get(source)!.adapter.verify(delivery, secrets[source]);
    return 'accepted';
  } catch (err) {
    if (err instanceof SignatureError) return err.reason;
    throw err;
  }
}

// Whitespace and case games: neutral ones (around the value, between list items, the header name's case) must not
// change the outcome; any change of case or whitespace inside a MAC or a key must reject.
type Game =
  | { kind: 'ows-around'; before: string; after: string }
  | { kind: 'name-case'; mask: number[] }
  | { kind: 'item-spacing'; pad: string }
  | { kind: 'value-case'; index: number }
  | { kind: 'space-inside-mac'; index: number };

const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 4 });
const gameArb: fc.Arbitrary<Game> = fc.oneof(
  fc.record({ kind: fc.constant('ows-around' as const), before: ows, after: ows }),
  fc.record({ kind: fc.constant('name-case' as const), mask: fc.array(fc.boolean().map(Number), { minLength: 30 }) }),
  fc.record({
    kind: fc.constant('item-spacing' as const),
    pad: fc.string({ unit: fc.constant(' '), minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('value-case' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('space-inside-mac' as const), index: fc.nat() }),
);

/** Applies a game to a signed request; returns the raw headers to send and whether the delivery stays genuine. */
function play(source: Source, req: SignedRequest, g: Game): { headers: Array<[string, string]>; neutral: boolean } {
  const name = SIG_HEADER[source];
  const value = req.headers[name]!;
  const { mac, rebuild } = macOf(source, value);
  const out: Record<string, string> = { ...req.headers };
  let neutral = true;
  let sigName = name;
  switch (g.kind) {
    case 'ows-around':
      out[name] = `${g.before}${value}${g.after}`;
      break;
    case 'name-case':
      sigName = [...name].map((c, i) => (g.mask[i] ? c.toUpperCase() : c)).join('');
      break;
    case 'item-spacing':
      // Between the list items of the schemes that have lists; Shopify's header is one value, so this breaks it.
      if (source === 'stripe') out[name] = value.replace(',', `${g.pad},${g.pad}`);
      else if (source === 'shop') out[name] = `${value}${g.pad}v1,${Buffer.alloc(32).toString('base64')}`;
      else {
        out[name] = `${mac.slice(0, 10)}${g.pad}${mac.slice(10)}`;
        neutral = false;
      }
      break;
    case 'value-case': {
      const letters = [...value].map((c, i) => (c.toLowerCase() !== c.toUpperCase() ? i : -1)).filter((i) => i >= 0);
      const i = letters[g.index % letters.length]!;
      const c = value[i]!;
      out[name] = value.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + value.slice(i + 1);
      neutral = false;
      break;
    }
    case 'space-inside-mac': {
      const i = 1 + (g.index % (mac.length - 1));
      out[name] = rebuild(`${mac.slice(0, i)} ${mac.slice(i)}`);
      neutral = false;
      break;
    }
  }
  const headers = Object.entries(out).map(([n, v]): [string, string] => [n === name ? sigName : n, v]);
  return { headers, neutral };
}

describe('hostile input, at the adapters', () => {
  const sourceArb = fc.constantFrom(...SOURCES);

  test('when a provider signs any body with any current secret, the delivery verifies', () => {
    fc.assert(
      fc.property(sourceArb, fc.string({ unit: 'binary', maxLength: 400 }), fc.nat(1), (source, body, which) => {
        cases += 1;
        const req = sign(source, secrets[source][which]!, nextId(), body);
        expect(verify(source, deliveryOf(req))).toBe('accepted');
      }),
      { numRuns: 1500 },
    );
  });

  test('when a signature is mangled, truncated, extended, replaced, removed or made with another secret, it is rejected', () => {
    fc.assert(
      fc.property(
        sourceArb.chain((s) => fc.tuple(fc.constant(s), mangleArb(s))),
        ([source, m]) => {
          cases += 1;
          const req = mangled(source, m);
          expect(verify(source, deliveryOf(req, new Date(), m.kind === 'tamper-body' ? 'latin1' : 'utf8'))).not.toBe(
            'accepted',
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('when extra signatures ride along, one genuine signature is needed and enough', () => {
    const wrongMac = (source: Source) =>
      fc
        .uint8Array({ minLength: 32, maxLength: 32 })
        .map((b) => Buffer.from(b).toString(source === 'stripe' ? 'hex' : 'base64'));
    fc.assert(
      fc.property(
        sourceArb.chain((s) =>
          fc.tuple(fc.constant(s), fc.array(wrongMac(s), { minLength: 1, maxLength: 5 }), fc.boolean(), fc.nat()),
        ),
        ([source, extras, includeGenuine, seed]) => {
          cases += 1;
          const id = nextId();
          const req = sign(source, secrets[source][1]!, id, validBody(source, id));
          const name = SIG_HEADER[source];
          const genuine = macOf(source, req.headers[name]!).mac;
          const macs = includeGenuine ? [...extras, genuine] : extras;
          // Rotate so the genuine one is anywhere in the list.
          const ordered = macs.map((_, i) => macs[(i + seed) % macs.length]!);
          if (source === 'shop') req.headers[name] = [...ordered.map((m) => `v1,${m}`), 'v2,ignored'].join(' ');
          else if (source === 'stripe') {
            const t = /^t=(\d+)/.exec(req.headers[name]!)![1];
            req.headers[name] = [...ordered.map((m) => `v1=${m}`), `t=${t}`, 'v0=ignored'].join(',');
          } else req.headers[name] = ordered.join(', '); // what Node makes of a repeated header
          const expected =
            includeGenuine && source !== 'shopify' ? 'accepted' : expect.not.stringMatching(/^accepted$/);
          expect(verify(source, deliveryOf(req))).toEqual(expected);
        },
      ),
      { numRuns: 1500 },
    );
  });

  test('when headers play whitespace and case games, only the neutral ones are still accepted', () => {
    fc.assert(
      fc.property(sourceArb, gameArb, (source, game) => {
        cases += 1;
        const id = nextId();
        // One body, signed and delivered: building it twice could straddle a second (Stripe's `created`).
        const req = sign(source, secrets[source][0]!, id, validBody(source, id));
        const { headers, neutral } = play(source, req, game);
        // As Node hands them over: names lower-cased, surrounding whitespace of values stripped.
        const delivered = Object.fromEntries(
          headers.map(([n, v]) => [n.toLowerCase(), v.replace(/^[ \t]+|[ \t]+$/g, '')]),
        );
        const outcome = verify(source, {
          rawBody: Buffer.from(req.body),
          headers: distinctHeaders(delivered),
          receivedAt: new Date(),
        });
        expect(outcome === 'accepted').toBe(neutral);
      }),
      { numRuns: 1500 },
    );
  });

  test('when the timestamp is within ±299 s it is accepted, and beyond ±301 s rejected as stale', () => {
    const timed = fc.constantFrom<Source>('shop', 'stripe');
    const inside = fc.integer({ min: -299, max: 299 });
    const outside = fc.oneof(fc.integer({ min: 301, max: 10_000_000 }), fc.integer({ min: -10_000_000, max: -301 }));
    fc.assert(
      fc.property(timed, fc.boolean(), inside, outside, fc.integer({ min: 0, max: 999 }), (source, ok, i, o, ms) => {
        cases += 1;
        const signedAt = new Date(1_700_000_000_000);
        const id = nextId();
        const req = sign(source, secrets[source][0]!, id, validBody(source, id), signedAt);
        const offset = ok ? i : o;
        // The receiver's clock is `offset` seconds off, plus a sub-second fraction towards the boundary's safe side.
        const receivedAt = new Date(signedAt.getTime() + offset * 1000 + (offset >= 0 === ok ? -ms : ms));
        expect(verify(source, deliveryOf(req, receivedAt))).toBe(ok ? 'accepted' : 'stale');
      }),
      { numRuns: 1500 },
    );
  });
});

describe('hostile input, over HTTP', () => {
  let api: InProcessApi;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    api = await startInProcessApi(ENV);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    await api.stop();
  });

  const sourceArb = fc.constantFrom(...SOURCES);
  const path = (source: Source) => `/webhooks/${source}`;

  /** Sends, then checks the invariants every case shares: a 4xx (or 2xx when `startsOne`), and starts only then. */
  async function expectAnswer(
    source: Source,
    req: { headers: Array<[string, string]>; body: Buffer | string },
    status: number,
    error?: string,
  ): Promise<Answer> {
    cases += 1;
    const before = api.starts.length;
    const answer = await api.send({ path: path(source), ...req });
    expect(answer.status).toBeLessThan(500);
    expect(answer.status).toBe(status);
    if (error) expect(JSON.parse(answer.body)).toMatchObject({ error });
    expect(api.starts.length - before).toBe(status === 202 ? 1 : 0);
    expect(unhandled).toEqual([]);
    return answer;
  }

  test('when a signature is mangled, the answer is 401 and nothing starts', async () => {
    await fc.assert(
      fc.asyncProperty(
        sourceArb.chain((s) => fc.tuple(fc.constant(s), mangleArb(s))),
        async ([source, m]) => {
          const req = mangled(source, m);
          const body = Buffer.from(req.body, m.kind === 'tamper-body' ? 'latin1' : 'utf8');
          await expectAnswer(source, { headers: rawHeaders(req.headers), body }, 401, 'invalid_signature');
        },
      ),
      { numRuns: 900 },
    );
  });

  test('when headers play whitespace and case games, neutral ones are accepted once and the rest get 401', async () => {
    await fc.assert(
      fc.asyncProperty(sourceArb, gameArb, async (source, game) => {
        const id = nextId();
        const req = sign(source, secrets[source][0]!, id, validBody(source, id));
        const { headers, neutral } = play(source, req, game);
        await expectAnswer(source, { headers, body: req.body }, neutral ? 202 : 401);
        // Shopify's webhook id is unsigned: its orders/paid is identified by the order in the signed body.
        const expected = source === 'shopify' ? `shopify:orders/paid:ORD-${id.slice(4)}` : `${source}:${id}`;
        if (neutral) expect(api.starts.at(-1)?.workflowId).toBe(expected);
      }),
      { numRuns: 600 },
    );
  });

  test('when the timestamp is ±299 s off it is accepted, ±301 s rejected', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Source>('shop', 'stripe'),
        fc.constantFrom(-301, -299, 299, 301),
        async (source, offset) => {
          const now = Date.now() / 1000;
          // Rounded towards the boundary's safe side, so the request's own latency cannot flip the outcome.
          const t = (Math.abs(offset) === 299) === offset > 0 ? Math.floor(now) + offset : Math.ceil(now) + offset;
          const id = nextId();
          const req = sign(source, secrets[source][0]!, id, validBody(source, id), new Date(t * 1000));
          await expectAnswer(
            source,
            { headers: rawHeaders(req.headers), body: req.body },
            Math.abs(offset) === 299 ? 202 : 401,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  test('when the content type is not application/json, the answer is 415 before anything else', async () => {
    const wrongType = fc.oneof(
      fc.constantFrom(
        'text/plain',
        'text/json',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonp',
        'application/json-patch+json',
        'application/jsonx',
        'application/xml',
        'application /json',
        '*/*',
        '',
      ),
      fc.string({ maxLength: 60 }).filter((t) => !/^application\/json\s*(;|$)/i.test(t.trim())),
    );
    await fc.assert(
      fc.asyncProperty(sourceArb, fc.option(wrongType, { nil: undefined }), async (source, type) => {
        const id = nextId();
        const req = sign(source, secrets[source][0]!, id, validBody(source, id));
        const headers = rawHeaders(req.headers).filter(([n]) => n !== 'content-type');
        if (type !== undefined) headers.push(['Content-Type', type]);
        await expectAnswer(source, { headers, body: req.body }, 415, 'unsupported_media_type');
      }),
      { numRuns: 400 },
    );
  });

  test('when the body is compressed or declares any Content-Encoding but identity, the answer is 415', async () => {
    const encoding = fc.oneof(
      fc.constantFrom(
        'gzip',
        'GZIP',
        'x-gzip',
        'deflate',
        'br',
        'zstd',
        'compress',
        'gzip, identity',
        'identity, gzip',
        '',
      ),
      fc.stringMatching(/^[a-z0-9-]{1,12}$/).filter((e) => e !== 'identity'),
    );
    await fc.assert(
      fc.asyncProperty(sourceArb, encoding, fc.constantFrom('gzip', 'deflate', 'none'), async (source, enc, how) => {
        const id = nextId();
        const req = sign(source, secrets[source][0]!, id, validBody(source, id));
        const body =
          how === 'gzip' ? gzipSync(req.body) : how === 'deflate' ? deflateSync(req.body) : Buffer.from(req.body);
        const headers: Array<[string, string]> = [...rawHeaders(req.headers), ['Content-Encoding', enc]];
        await expectAnswer(source, { headers, body }, 415, 'unsupported_encoding');
      }),
      { numRuns: 300 },
    );
  });

  test('when the body is exactly the limit it is accepted; one byte more is 413', async () => {
    await fc.assert(
      fc.asyncProperty(sourceArb, fc.boolean(), async (source, over) => {
        const id = nextId();
        const base = JSON.parse(validBody(source, id)) as Record<string, unknown>;
        const empty = JSON.stringify({ ...base, padding: '' });
        const body = JSON.stringify({
          ...base,
          padding: 'x'.repeat(LIMIT - Buffer.byteLength(empty) + (over ? 1 : 0)),
        });
        expect(Buffer.byteLength(body)).toBe(LIMIT + (over ? 1 : 0));
        const req = sign(source, secrets[source][0]!, id, body);
        await expectAnswer(source, { headers: rawHeaders(req.headers), body }, over ? 413 : 202);
      }),
      { numRuns: 60 },
    );
  });

  test('when a genuinely signed body is not JSON, or JSON of the wrong shape, the answer is 400', async () => {
    const notJson = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
      fc.constantFrom(
        '{',
        '{"event":',
        'null',
        '[]',
        '"x"',
        '1e999',
        '{"a":1}{"a":2}',
        'NaN',
        '\u0000',
        '{"id":"evt_1",}',
      ),
      fc.json().map((j) => j.slice(0, Math.max(1, j.length - 1))),
    );
    await fc.assert(
      fc.asyncProperty(sourceArb, notJson, async (source, body) => {
        const req = sign(source, secrets[source][0]!, nextId(), body);
        const answer = await expectAnswer(source, { headers: rawHeaders(req.headers), body }, 400);
        expect(['invalid_json', 'invalid_payload']).toContain(JSON.parse(answer.body).error);
      }),
      { numRuns: 600 },
    );
  });

  test('when JSON is nested 10,000 levels deep, the answer is a 4xx (or ignored) and the process survives', async () => {
    const deep = (d: number, open: string, close: string, leaf = '1') => open.repeat(d) + leaf + close.repeat(d);
    const shapes = (source: Source, id: string, depth: number): Array<{ body: string; status: number }> => {
      const arr = deep(depth, '[', ']', '');
      const obj = deep(depth, '{"a":', '}');
      const valid = JSON.parse(validBody(source, id)) as Record<string, unknown>;
      const withField = (key: string, value: string, over: Record<string, unknown> = {}) =>
        JSON.stringify({ ...valid, ...over, [key]: 0 }).replace(`"${key}":0`, `"${key}":${value}`);
      const placed =
        source === 'shop'
          ? { validated: withField('order', obj), ignored: withField('extra', arr, { event: 'order.refunded' }) }
          : source === 'stripe'
            ? { validated: withField('data', obj), ignored: withField('data', arr, { type: 'charge.refunded' }) }
            : { validated: withField('email', arr), ignored: undefined };
      return [
        { body: arr, status: 400 },
        { body: obj, status: 400 },
        { body: arr.slice(0, -1), status: 400 },
        { body: placed.validated, status: 400 },
        ...(placed.ignored ? [{ body: placed.ignored, status: 200 }] : []),
      ];
    };
    await fc.assert(
      fc.asyncProperty(sourceArb, fc.integer({ min: 10_000, max: 12_000 }), fc.nat(), async (source, depth, pick) => {
        const id = nextId();
        const options = shapes(source, id, depth);
        const { body, status } = options[pick % options.length]!;
        const req = sign(source, secrets[source][0]!, id, body);
        await expectAnswer(source, { headers: rawHeaders(req.headers), body }, status);
      }),
      { numRuns: 60, examples: [['shop', 10_000, 0]] },
    );
  });

  test('when required fields arrive only under __proto__ or constructor.prototype, the answer is 400 and no prototype changes', async () => {
    const required: Record<Source, { path: string[]; keys: string[] }> = {
      shop: { path: [], keys: ['event', 'event_id', 'occurred_at'] },
      shopify: { path: [], keys: ['name', 'total_price', 'currency', 'email', 'updated_at'] },
      stripe: { path: ['data', 'object'], keys: ['id', 'amount_received', 'currency', 'metadata'] },
    };
    await fc.assert(
      fc.asyncProperty(
        sourceArb,
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        async (source, via, picks) => {
          const id = nextId();
          const root = JSON.parse(validBody(source, id)) as Record<string, unknown>;
          const { path: at, keys } = required[source];
          const holder = at.reduce((o, k) => o[k] as Record<string, unknown>, root);
          const moved: Record<string, unknown> = {};
          for (const p of picks) {
            const key = keys[p % keys.length]!;
            if (key in holder) moved[key] = holder[key];
            delete holder[key];
          }
          const hidden = via === 'constructor' ? { prototype: moved } : moved;
          holder.__placeholder__ = 0;
          const body = JSON.stringify(root).replace('"__placeholder__":0', `"${via}":${JSON.stringify(hidden)}`);
          const req = sign(source, secrets[source][0]!, id, body);
          await expectAnswer(source, { headers: rawHeaders(req.headers), body }, 400, 'invalid_payload');
          expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
          for (const key of keys) expect(({} as Record<string, unknown>)[key]).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  test('when request headers exceed 16 KiB Node answers 431; large headers under it reach the signature check', async () => {
    await fc.assert(
      fc.asyncProperty(
        sourceArb,
        fc.oneof(fc.integer({ min: 17 * 1024, max: 64 * 1024 }), fc.integer({ min: 1024, max: 12 * 1024 })),
        fc.boolean(),
        async (source, size, inSignature) => {
          // Signed over another body, so that a large header that does reach the app meets a wrong signature.
          const req = sign(source, secrets[source][0]!, nextId(), '{}');
          const headers = rawHeaders(req.headers).filter(([n]) => !inSignature || n !== SIG_HEADER[source]);
          if (inSignature) headers.push([SIG_HEADER[source], 'v'.repeat(size)]);
          else headers.push(['X-Padding', 'p'.repeat(size)]);
          await expectAnswer(source, { headers, body: '{ }' }, size > 16 * 1024 ? 431 : 401);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('when a header the scheme reads arrives twice, in any case and with any values, the answer is 400 naming it', async () => {
    const READ: Record<Source, string[]> = {
      shop: ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'],
      shopify: ['x-shopify-hmac-sha256', 'x-shopify-webhook-id', 'x-shopify-topic', 'x-shopify-api-version'],
      stripe: ['stripe-signature', 'content-type', 'content-encoding'],
    };
    const headerValue = fc.oneof(
      fc.constant('same'),
      fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
      fc.stringMatching(/^[a-z]{1,8}$/).map((s) => `${s}, ${s}`),
    );
    await fc.assert(
      fc.asyncProperty(
        sourceArb.chain((s) => fc.tuple(fc.constant(s), fc.constantFrom(...READ[s]))),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        headerValue,
        fc.boolean(),
        async ([source, header], upper, second, secondFirst) => {
          const id = nextId();
          const req = sign(source, secrets[source][0]!, id, validBody(source, id));
          const original = header === 'content-encoding' ? 'identity' : req.headers[header]!;
          const copy: [string, string] = [
            [...header].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''),
            second === 'same' ? original : second,
          ];
          const headers = rawHeaders(req.headers).filter(([n]) => n !== header);
          if (secondFirst) headers.push(copy, [header, original]);
          else headers.push([header, original], copy);
          const answer = await expectAnswer(source, { headers, body: req.body }, 400, 'repeated_header');
          expect(JSON.parse(answer.body)).toMatchObject({ header });
        },
      ),
      { numRuns: 300 },
    );
  });

  test('when the body is empty, the answer is 401 unsigned and 400 signed', async () => {
    await fc.assert(
      fc.asyncProperty(sourceArb, fc.boolean(), async (source, signed) => {
        const req = sign(source, secrets[source][0]!, nextId(), '');
        if (!signed) delete req.headers[SIG_HEADER[source]];
        await expectAnswer(source, { headers: rawHeaders(req.headers), body: '' }, signed ? 400 : 401);
      }),
      { numRuns: 150 },
    );
  });

  test('when several checks fail at once, the cheapest wins: content type, size, signature, JSON, schema', async () => {
    const flags = fc.record({
      type: fc.boolean(),
      size: fc.boolean(),
      sig: fc.boolean(),
      json: fc.boolean(),
      schema: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(sourceArb, flags, async (source, f) => {
        const id = nextId();
        let body = f.json ? '{"event": "order.paid",' : f.schema ? '{"unexpected":true}' : validBody(source, id);
        if (f.size) body += ' '.repeat(LIMIT + 1 - Buffer.byteLength(body));
        const req = sign(source, f.sig ? STRANGER[source] : secrets[source][0]!, id, body);
        if (f.type) req.headers['content-type'] = 'text/plain';
        const [status, error] = f.type
          ? [415, 'unsupported_media_type']
          : f.size
            ? [413, 'payload_too_large']
            : f.sig
              ? [401, 'invalid_signature']
              : f.json
                ? [400, 'invalid_json']
                : f.schema
                  ? [400, 'invalid_payload']
                  : [202, undefined];
        await expectAnswer(source, { headers: rawHeaders(req.headers), body }, status, error);
      }),
      { numRuns: 400 },
    );
  });
});

test('in total, at least 10,000 generated cases ran', () => {
  console.log(`fast-check: ${cases} generated cases across shop, shopify and stripe`);
  expect(cases).toBeGreaterThanOrEqual(10_000);
});
