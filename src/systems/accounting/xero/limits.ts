import type { ProviderLimits } from '../../../kit/provider-limits';

/**
 * Xero's limits per organisation (developer.xero.com/documentation/guides/oauth2/limits), the headers every answer
 * carries with what is left, and the one a 429 names its window in. A scheduled sync keeps off the last 10 calls of
 * a minute and the last 500 of a day (where the budget alert goes out), so event flows still have them.
 */
export const XERO_LIMITS: ProviderLimits = {
  problemHeader: 'X-Rate-Limit-Problem',
  windows: [
    { name: 'concurrent', description: "the tenant's 5 calls in flight at once", limit: 5 },
    {
      name: 'minute',
      description: "the tenant's 60 calls a minute",
      limit: 60,
      spanMs: 60_000,
      remainingHeader: 'X-MinLimit-Remaining',
      reserve: 10,
    },
    {
      name: 'day',
      description: "the tenant's 5,000 calls a day",
      limit: 5000,
      spanMs: 24 * 60 * 60_000,
      remainingHeader: 'X-DayLimit-Remaining',
      reserve: 500,
    },
    {
      name: 'appminute',
      description: "the app's 10,000 calls a minute across all tenants",
      limit: 10_000,
      spanMs: 60_000,
      remainingHeader: 'X-AppMinLimit-Remaining',
    },
  ],
};
