import fc from 'fast-check';
import { printable } from '../src/printable';

const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/u;

describe('printable', () => {
  test('ESC sequences, carriage returns, C1 controls, bidi overrides and zero-width characters are shown inert', () => {
    const hostile =
      'ok\u001b[2K\u001b[1A\rFIXED \u001b]8;;http://evil.test\u0007link\u001b]8;;\u0007 \u009b31m \u202eevil\u202c \u2066x\u2069 a\u200bb \ud800';
    const out = printable(hostile);
    expect(out).not.toMatch(UNSAFE);
    expect(out).toBe(
      'ok\\u001b[2K\\u001b[1A FIXED \\u001b]8;;http://evil.test\\u0007link\\u001b]8;;\\u0007 \\u009b31m \\u202eevil\\u202c ' +
        '\\u2066x\\u2069 a\\u200bb \\ud800',
    );
  });

  test('a value cannot start a line of its own; output meant to have lines keeps them', () => {
    expect(printable('failed\nWOULD RE-RUN wf-2\r\n\ttab')).toBe('failed WOULD RE-RUN wf-2  tab');
    expect(printable('a\n\tb\r\n', { multiline: true })).toBe('a\n\tb\\u000d\n');
  });

  test('plain text, accents, emoji and CJK stay as they are', () => {
    const s = 'Zażółć gęślą jaźń — 注文 ✅ 👍🏽 ORD-10427';
    expect(printable(s)).toBe(s);
  });

  test('no unsafe character survives, and JSON passed through it parses to the same value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(printable(s)).not.toMatch(UNSAFE);
        expect(printable(s, { multiline: true }).replace(/[\n\t]/g, '')).not.toMatch(UNSAFE);
        const json = JSON.stringify({ s }, null, 2);
        expect(JSON.parse(printable(json, { multiline: true }))).toEqual({ s });
      }),
      { numRuns: 300 },
    );
  });
});
