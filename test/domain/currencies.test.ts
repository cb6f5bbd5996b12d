import { CURRENCY_CODES, currencySchema, MINOR_UNITS } from '../../src/domain/currencies';
import { fromMinorUnits, minorUnitDecimals, toMinorUnits } from '../../src/domain/money';

describe('the currency table', () => {
  test('holds ISO 4217 codes with their minor units, as Stripe writes amounts (ISK with two decimals, MGA none)', () => {
    expect(
      Object.fromEntries(['PLN', 'EUR', 'JPY', 'KWD', 'CLF', 'ISK', 'MGA'].map((c) => [c, MINOR_UNITS.get(c)])),
    ).toEqual({
      PLN: 2,
      EUR: 2,
      JPY: 0,
      KWD: 3,
      CLF: 4,
      ISK: 2,
      MGA: 0,
    });
    expect(CURRENCY_CODES.every((c) => /^[A-Z]{3}$/.test(c))).toBe(true);
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
  });

  test('money converts with it, in either case, and refuses a code it does not hold', () => {
    expect(toMinorUnits(120.5, 'PLN')).toBe(12050);
    expect(toMinorUnits(1.2345, 'kwd')).toBe(1235);
    expect(fromMinorUnits(500, 'jpy')).toBe(500);
    expect(minorUnitDecimals('clf')).toBe(4);
    expect(() => minorUnitDecimals('AAA')).toThrow(/AAA is not an ISO 4217 currency/);
    expect(currencySchema.safeParse('AAA').success).toBe(false);
    expect(currencySchema.safeParse('pln').success).toBe(false);
  });
});
