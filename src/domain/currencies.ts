import { z } from 'zod';

// The currencies Switchyard takes, with the decimals of each one's minor unit: the active ISO 4217 codes (funds and
// precious metals with no minor unit left out), as amounts are written to Stripe. Stripe differs from ISO 4217 in two:
// ISK is written with two decimals (always .00) and MGA with none. An amount that rounds to the same number of minor
// units is the same amount: no invoice or payment holds a fraction of one.
// https://www.iso.org/iso-4217-currency-codes.html, https://docs.stripe.com/currencies#special-cases

const DECIMALS: Record<0 | 2 | 3 | 4, string> = {
  0: 'BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX UYI VND VUV XAF XOF XPF',
  2:
    'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW ' +
    'CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ' +
    'ILS INR IRR ISK JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV ' +
    'MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD ' +
    'SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG',
  3: 'BHD IQD JOD KWD LYD OMR TND',
  4: 'CLF UYW',
};

/** Each currency's minor-unit decimals, by upper-case ISO 4217 code: the one table money and validation read. */
export const MINOR_UNITS: ReadonlyMap<string, number> = new Map(
  Object.entries(DECIMALS).flatMap(([decimals, codes]) => codes.split(' ').map((code) => [code, Number(decimals)])),
);

export const CURRENCY_CODES = [...MINOR_UNITS.keys()].sort() as [string, ...string[]];

/** A currency the table knows, as its upper-case ISO 4217 code. */
export const currencySchema = z
  .enum(CURRENCY_CODES, { error: 'an ISO 4217 code Switchyard knows (src/domain/currencies.ts), e.g. PLN' })
  .meta({ description: 'ISO 4217 code, e.g. PLN' });
