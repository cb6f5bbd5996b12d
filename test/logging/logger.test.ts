import { Writable } from 'node:stream';
import { createLogger, emailHash } from '../../src/logger';
import { loadConfig } from '../../src/config';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  return { logger, text: () => lines.join('') };
}

describe('logs carry no email address: each is replaced by a hash', () => {
  test('in fields, nested fields, arrays and the message', () => {
    const { logger, text } = capture();
    logger.info(
      { customerEmail: 'K.Nowak@Example.com', order: { to: ['k.nowak@example.com', 'x'] } },
      'invoice email for k.nowak@example.com already sent',
    );
    const out = text();
    expect(out).not.toMatch(/nowak/i);
    // The same address (whatever its case) hashes the same, so lines about one customer can still be correlated.
    const hash = emailHash('k.nowak@example.com');
    expect(hash).toMatch(/^email:[0-9a-f]{12}$/);
    expect(out.split(hash).length - 1).toBe(3);
  });

  test('in an error message and stack', () => {
    const { logger, text } = capture();
    logger.warn({ err: new Error('provider rejected a.b@example.org: invalid') }, 'activity failed');
    const out = text();
    expect(out).not.toContain('a.b@example.org');
    expect(out).toContain(emailHash('a.b@example.org'));
    expect(JSON.parse(out).err.message).toBe(`provider rejected ${emailHash('a.b@example.org')}: invalid`);
  });

  test('order ids, URLs and other text stay as they are', () => {
    const { logger, text } = capture();
    logger.info({ orderId: 'ORD-10427', url: 'http://127.0.0.1:4000/shop' }, 'order ORD-10427 invoiced');
    expect(JSON.parse(text())).toMatchObject({ orderId: 'ORD-10427', url: 'http://127.0.0.1:4000/shop' });
  });
});

describe('an address hides in no encoding, shape or depth', () => {
  const address = 'k.nowak+promo@example.com';
  const hash = emailHash(address);

  test.each([
    ['percent-encoded', 'GET /contacts/by-email/k.nowak%2Bpromo%40example.com failed'],
    ['percent-encoded twice', 'GET /contacts/by-email/k.nowak%252Bpromo%2540example.com failed'],
    ['in mixed case', 'no contact K.Nowak+Promo@EXAMPLE.com'],
    ['in a query string', 'http://crm.test/contacts?email=k.nowak%2bpromo%40example.com&limit=1'],
    ['as an HTML entity', '<p>k.nowak+promo&#64;example.com</p> or k.nowak+promo&commat;example.com'],
    ['as a hex HTML entity, itself escaped', 'k.nowak+promo&amp;#x40;example.com'],
    ['with a fullwidth @', 'k.nowak+promo\uff20example.com'],
    ['JSON-escaped', '{"to":"k.nowak+promo\\u0040example.com"}'],
    ['with a zero-width space inside', 'k.no\u200bwak+promo@example.com'],
  ])('%s', (_case, text) => {
    const { logger, text: out } = capture();
    logger.info({ detail: text }, text);
    expect(out()).not.toMatch(/nowak/i);
    expect(out()).toContain(hash);
  });

  test('in keys, Maps, Sets, class instances, Error subclasses and their causes', () => {
    class Contact {
      constructor(readonly email: string) {}
    }
    class DownstreamError extends Error {
      constructor(
        message: string,
        readonly body: unknown,
      ) {
        super(message);
        this.name = 'DownstreamError';
      }
    }
    const cause = new Error(`upstream said ${address}`);
    const err = new DownstreamError('rejected', { to: address });
    err.cause = new Error('wrapped', { cause });
    const { logger, text } = capture();
    logger.warn(
      {
        byEmail: { [address]: 1 },
        map: new Map([[address, { to: address }]]),
        set: new Set([address]),
        contact: new Contact(address),
        url: new URL(`http://crm.test/contacts/by-email/${encodeURIComponent(address)}`),
        err,
        list: [[[[address]]]],
      },
      'contact write failed',
    );
    expect(text()).not.toMatch(/nowak/i);
    const line = JSON.parse(text());
    expect(line.err).toMatchObject({ type: 'DownstreamError', body: { to: hash } });
    expect(line.err.message).toMatch(/^rejected/);
    expect(JSON.stringify(line.err)).toContain(`upstream said ${hash}`);
    expect(line.set).toEqual([hash]);
    expect(line.contact).toEqual({ email: hash });
  });

  test('an object nested past the depth bound is redacted, not passed through', () => {
    let deep: Record<string, unknown> = { email: address };
    for (let i = 0; i < 30; i += 1) deep = { next: deep };
    const { logger, text } = capture();
    logger.info({ deep }, 'deep');
    expect(text()).not.toMatch(/nowak/i);
    expect(text()).toContain('[too deep]');
  });

  test('a cyclic object is logged once, its cycle marked', () => {
    const a: Record<string, unknown> = { email: address };
    a.self = a;
    const { logger, text } = capture();
    logger.info({ a }, 'cyclic');
    expect(text()).not.toMatch(/nowak/i);
    expect(JSON.parse(text()).a).toEqual({ email: hash, self: '[circular]' });
  });

  test('a binary payload is not logged (whatever it holds could be base64 of personal data)', () => {
    const { logger, text } = capture();
    logger.info({ payload: Buffer.from(`{"email":"${address}"}`) }, 'payload');
    expect(text()).not.toContain(Buffer.from(address).toString('base64').slice(0, 12));
    expect(JSON.parse(text()).payload).toMatch(/^\[\d+ bytes\]$/);
  });

  test('a child logger’s bindings are scrubbed too', () => {
    const { logger, text } = capture();
    logger.child({ contact: address }).info('child');
    expect(text()).not.toMatch(/nowak/i);
    expect(JSON.parse(text()).contact).toBe(hash);
  });

  test('huge and adversarial strings are cut to a bound and scrubbed', () => {
    const { logger, text } = capture();
    const shapes = [
      `${'a'.repeat(40_000)}@`,
      '@'.repeat(40_000),
      'a@'.repeat(20_000),
      `${'a.'.repeat(20_000)}@example`,
      `${'%25'.repeat(13_000)}40`,
      `x@${'a-'.repeat(20_000)}`,
    ];
    for (const s of shapes) logger.info({ s }, s);
    for (const line of text().trim().split('\n')) expect(line.length).toBeLessThan(40_000);
  });
});

describe('the log format', () => {
  function lines(format: 'auto' | 'json' | 'pretty') {
    const out: string[] = [];
    // A stream, as a file or a pipe is: pino-pretty writes to streams.
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', name: 'dev', format }, destination);
    logger.info({ taskQueue: 'crm', customerEmail: 'k.nowak@example.com' }, 'worker ready');
    return out.join('');
  }

  test('json and auto (a destination is no terminal) write one JSON event per line', () => {
    for (const format of ['json', 'auto'] as const) {
      const event = JSON.parse(lines(format));
      expect(event).toMatchObject({ level: 'info', component: 'dev', taskQueue: 'crm', msg: 'worker ready' });
    }
  });

  test('pretty writes a line a person reads, redacted as JSON is', () => {
    const out = lines('pretty');
    expect(out).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: dev: worker ready \{"taskQueue":"crm","customerEmail":"email:[0-9a-f]{12}"\}\n$/,
    );
    expect(out).not.toMatch(/nowak/);
  });

  test('production is JSON unless pretty is asked for by name', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'colour' })).toThrow(/LOG_FORMAT/);
  });
});
