import fc from 'fast-check';
import { clip, containsEmail, emailHash, MAX_MESSAGE_LENGTH, redactEmails, safeText, scrub } from '../src/redaction';

// Letters that appear in no hash (`email:` and hex digits), so "the local part is gone" can be read off the text.
const letters = fc.stringMatching(/^[n-z]{3,12}$/);
const address = fc
  .record({
    local: letters,
    tag: fc.option(letters, { nil: undefined }),
    domain: letters,
    tld: fc.constantFrom('com', 'org', 'pl', 'io'),
    upper: fc.boolean(),
  })
  .map(({ local, tag, domain, tld, upper }) => {
    const plain = `${local}${tag ? `+${tag}` : ''}@${domain}.${tld}`;
    return { local, plain, shown: upper ? plain.toUpperCase() : plain };
  });

/** Every spelling of an address the redactor is meant to see through. */
const ENCODINGS: Array<(a: string) => string> = [
  (a) => a,
  (a) => encodeURIComponent(a),
  (a) => encodeURIComponent(encodeURIComponent(a)),
  (a) => encodeURIComponent(a).replace(/%40/, '%40'.toLowerCase()),
  (a) => a.replace('@', '&#64;'),
  (a) => a.replace('@', '&#x40;'),
  (a) => a.replace('@', '&commat;'),
  (a) => a.replace('@', '&amp;#64;'),
  (a) => a.replace('@', '\uFF20'),
  (a) => a.replace('@', '\uFE6B'),
  (a) => JSON.stringify(a).slice(1, -1).replace('@', '\\u0040'),
  (a) => a.replace('@', '\\\\u0040'),
  (a) => a.replace('@', '\u200b@\u200b'),
  (a) => `http://crm.test/contacts?email=${encodeURIComponent(a)}&limit=1`,
  (a) => `/contacts/by-email/${encodeURIComponent(a)}`,
];

// Surroundings that cannot join an address: separators, punctuation, or nothing.
const around = fc.stringMatching(/^[ :;,/"<>()[\]{}|!?#=\n\t]{0,6}$/);

describe('redactEmails', () => {
  test('no address survives in any known spelling, and each becomes the hash of its plain form', () => {
    fc.assert(
      fc.property(
        address,
        fc.integer({ min: 0, max: ENCODINGS.length - 1 }),
        around,
        around,
        ({ local, plain, shown }, e, before, after) => {
          const text = `${before}${ENCODINGS[e]!(shown)}${after}`;
          const out = redactEmails(text);
          // The local part may also be in a spelling's own text ("ont" in ".../contacts?email="): no more of it than
          // that is left, so the address's own copy is gone.
          const copies = (t: string) => t.toLowerCase().split(local).length - 1;
          expect(copies(out)).toBe(copies(`${before}${ENCODINGS[e]!('')}${after}`));
          expect(out).toContain(emailHash(plain));
          expect(containsEmail(text)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('any text, redacted, holds nothing the redactor would find again outside its hashes', () => {
    const unit = fc.constantFrom('a', 'b', '.', '@', '%', '2', '5', '4', '0', '&', '#', '6', ';', ' ', '\\', 'u', 'x');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (s) => {
        const out = redactEmails(s).replace(/email:[0-9a-f]{12}/g, ' ');
        expect(redactEmails(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });

  test('text without an address is left exactly as it was', () => {
    for (const s of [
      'order ORD-10427 invoiced',
      'http://127.0.0.1:4000/shop?cursor=abc&limit=100',
      'node_modules/@temporalio/worker@1.11.0/lib/worker.js',
      'discount 50% off, 100%25 done, &amp; more',
      '@mention alone, trailing at@',
    ]) {
      expect(redactEmails(s)).toBe(s);
    }
  });

  test('adversarial inputs of 300,000 characters are redacted in one linear pass', () => {
    // Each of these took a backtracking pattern quadratic time; a linear pass finishes well inside the test timeout.
    const n = 300_000;
    const shapes = [
      `${'a'.repeat(n)}@`,
      '@'.repeat(n),
      'a@'.repeat(n / 2),
      `${'a.'.repeat(n / 2)}@example`,
      `${'%25'.repeat(n / 3)}40`,
      `x@${'a-'.repeat(n / 2)}`,
      '&amp;'.repeat(n / 5),
      '\\'.repeat(n),
    ];
    for (const s of shapes) expect(typeof redactEmails(s)).toBe('string');
    expect(redactEmails(`${'a'.repeat(n)}@example.com`)).toBe(emailHash(`${'a'.repeat(n)}@example.com`));
  });
});

describe('clip and safeText bound text from outside', () => {
  test('safeText is at most the bound, and no address survives the cut, wherever it falls', () => {
    fc.assert(
      fc.property(
        address,
        fc.integer({ min: 0, max: ENCODINGS.length - 1 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 10, max: 60 }),
        ({ local, shown }, e, pad, max) => {
          const text = `${'x '.repeat(pad)}${ENCODINGS[e]!(shown)} and more text`;
          const out = safeText(text, max);
          expect(out.length).toBeLessThanOrEqual(max);
          expect(out.toLowerCase()).not.toContain(local);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('a downstream message is kept whole up to the bound and ends in … when cut', () => {
    expect(safeText('invalid consent')).toBe('invalid consent');
    const long = 'rejected: '.repeat(200);
    expect(safeText(long)).toHaveLength(MAX_MESSAGE_LENGTH);
    expect(safeText(long).endsWith('…')).toBe(true);
    expect(clip('no contact k.nowak@example.com', 24)).toBe('no contact …');
    // A word the cut falls in goes whole, so half an address never shows.
    expect(clip('x'.repeat(600), 500)).toBe('…');
  });
});

describe('scrub', () => {
  test('no address survives in any value shape, however deep or wide', () => {
    const leaf = address.map((a) => a);
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf.map((a) => a.shown),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie('node'), { maxKeys: 3 }),
        tie('node').map((v) => new Map([['k', v]])),
        tie('node').map((v) => new Set([v])),
        tie('node').map((v) => Object.assign(new Error('boom'), { detail: v })),
        tie('node').map((v) => new Error('wrapped', { cause: v })),
        leaf.map((a) => ({ [a.shown]: 1 })),
      ),
    })).node;
    fc.assert(
      fc.property(value, address, (v, a) => {
        let deep: unknown = { v, extra: a.shown };
        for (let i = 0; i < 15; i += 1) deep = { deep };
        const out = JSON.stringify(scrub(deep), (_k, x: unknown) =>
          x instanceof Error ? { ...x, message: x.message, stack: x.stack } : x,
        );
        expect(out).not.toMatch(/@|%40|\uFF20/);
      }),
      { numRuns: 300 },
    );
  });

  test('a shared value is shown wherever it appears; only a real cycle is cut', () => {
    const shared = { id: 1 };
    expect(scrub({ a: shared, b: shared })).toEqual({ a: { id: 1 }, b: { id: 1 } });
  });

  test('an exponentially shared structure is bounded by the node budget', () => {
    let v: unknown = 'leaf';
    for (let i = 0; i < 40; i += 1) v = [v, v];
    expect(JSON.stringify(scrub(v, { depth: 100 }))).toContain('[too large]');
  });
});
