// What the config tests share: production webhook secrets that pass the strict checks, and the message a refused
// configuration gives.

/** The three sources' secrets, production-shaped (canonical base64, prefixes, lengths). */
export const PRODUCTION_WEBHOOK_SECRETS = {
  SHOP_WEBHOOK_SECRET: 'whsec_c2VjcmV0LXNob3AtcHJvZHVjdGlvbg==',
  SHOPIFY_WEBHOOK_SECRET: 'shopify-secret-production',
  STRIPE_WEBHOOK_SECRET: 'whsec_stripeproductionsecret',
} as const;

/** The message of the ConfigError `fn` throws; fails the test when it throws none. */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}
