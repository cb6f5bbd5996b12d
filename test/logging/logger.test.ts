import { createLogger, emailHash } from '../../src/logger';

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
