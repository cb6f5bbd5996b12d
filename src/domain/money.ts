import { MINOR_UNITS } from './currencies';

/** The decimals of `currency`'s minor unit (0, 2, 3 or 4), from the currency table; the code in either case. */
export function minorUnitDecimals(currency: string): number {
  const decimals = MINOR_UNITS.get(currency.toUpperCase());
  if (decimals === undefined) {
    throw new RangeError(`${currency} is not an ISO 4217 currency Switchyard knows (src/domain/currencies.ts)`);
  }
  return decimals;
}

/** `amount` in the currency's minor unit, rounded to a whole one: 120.5 PLN → 12050. */
export function toMinorUnits(amount: number, currency: string): number {
  return Math.round(amount * 10 ** minorUnitDecimals(currency));
}

/** An amount given in the currency's minor unit (as Stripe sends it), in the currency's major unit: 12050 → 120.5. */
export function fromMinorUnits(amount: number, currency: string): number {
  const decimals = minorUnitDecimals(currency);
  return Number((amount / 10 ** decimals).toFixed(decimals));
}
