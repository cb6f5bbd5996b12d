// How many decimals a currency's minor unit has, as Stripe lists them (ISO 4217 with Stripe's exceptions). Amounts
// that round to the same number of minor units are the same amount: no invoice or payment holds a fraction of one.
// https://docs.stripe.com/currencies#zero-decimal

const ZERO_DECIMAL = new Set('bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));
const THREE_DECIMAL = new Set('bhd jod kwd omr tnd'.split(' '));

/** The decimals of `currency`'s minor unit (0, 2 or 3); the code in either case. */
export function minorUnitDecimals(currency: string): number {
  const code = currency.toLowerCase();
  return ZERO_DECIMAL.has(code) ? 0 : THREE_DECIMAL.has(code) ? 3 : 2;
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
