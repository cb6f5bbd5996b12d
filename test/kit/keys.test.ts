import fc from 'fast-check';
import { idempotencyKey, MAX_KEY_LENGTH } from '../../src/kit/keys';

// Idempotency keys go into a header: whatever the business key holds, the key must be a valid header value, the same
// every time for one business key, and different for two.

/** What fetch would do with the key: throws a TypeError for a value that is not a valid header value. */
const asHeader = (key: string) => new Headers({ 'idempotency-key': key }).get('idempotency-key');

describe('idempotencyKey', () => {
  test('plain ASCII business keys are kept as they are, so keys already sent and recorded still match', () => {
    expect(idempotencyKey('invoice', 'ORD-10427')).toBe('invoice:ORD-10427');
    expect(idempotencyKey('invoice-email', '#1001')).toBe('invoice-email:#1001');
    expect(idempotencyKey('alert-failed', 'shop:evt_9f2c:0193-run:1')).toBe('alert-failed:shop:evt_9f2c:0193-run:1');
  });

  test('an order id outside Latin-1 (№1001) becomes a header-safe, readable key', () => {
    const key = idempotencyKey('invoice', '№1001');
    expect(key).toBe('invoice:%E2%84%961001');
    expect(asHeader(key)).toBe(key);
  });

  test('characters a header would lose or refuse are encoded: spaces at the ends, controls, and % itself', () => {
    expect(idempotencyKey('invoice', ' ORD-1 ')).toBe('invoice:%20ORD-1%20');
    expect(idempotencyKey('invoice', 'ORD\r\n1')).toBe('invoice:ORD%0D%0A1');
    expect(idempotencyKey('invoice', '100%')).toBe('invoice:100%25');
    expect(idempotencyKey('invoice', 'Zoë')).toBe('invoice:Zo%C3%AB');
  });

  test('a key that would be longer than 255 characters keeps a readable prefix and ends in a hash of the whole id', () => {
    const long = '№'.repeat(128);
    const key = idempotencyKey('invoice', long);
    expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
    expect(key).toMatch(/^invoice:(%E2%84%96)+%~[A-Za-z0-9_-]{43}$/);
    expect(idempotencyKey('invoice', long)).toBe(key);
    expect(idempotencyKey('invoice', `${'№'.repeat(127)}x`)).not.toBe(key);
  });

  test('property: for any string, the key is a header value of at most 255 characters, stable, and distinct per id', () => {
    const anyId = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 128 }),
      // Lone surrogates: not Unicode text, but a JSON payload can carry them.
      fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), minLength: 1 }),
    );
    fc.assert(
      fc.property(anyId, anyId, (a, b) => {
        const key = idempotencyKey('invoice', a);
        expect(asHeader(key)).toBe(key);
        expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
        expect(idempotencyKey('invoice', a)).toBe(key);
        if (a !== b) expect(idempotencyKey('invoice', b)).not.toBe(key);
      }),
      { numRuns: 2000 },
    );
  });
});
