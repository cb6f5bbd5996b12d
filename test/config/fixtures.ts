import { createHash } from 'node:crypto';

// What the config tests share: production secrets that pass the strict checks (format and strength), and the message a
// refused configuration gives.

/**
 * 32 random-looking bytes for `label`: fixed per label, so a failure reproduces, and distinct per label, so no two
 * roles share one (production refuses that). Never a development value: those hash another prefix.
 */
export function strongBytes(label: string): Buffer {
  return createHash('sha256').update(`switchyard-test-fixture:${label}`).digest();
}

/** A strong token for `label` (43 base64url characters), as `openssl rand -base64 32` would give. */
export const strongToken = (label: string): string => strongBytes(label).toString('base64url');

/** The three sources' secrets, production-shaped (canonical base64, prefixes, lengths) and strong. */
export const PRODUCTION_WEBHOOK_SECRETS = {
  SHOP_WEBHOOK_SECRET: `whsec_${strongBytes('shop-webhook').toString('base64')}`,
  SHOPIFY_WEBHOOK_SECRET: `shpss_${strongBytes('shopify-webhook').toString('hex')}`,
  STRIPE_WEBHOOK_SECRET: `whsec_${strongBytes('stripe-webhook').toString('hex').slice(0, 32)}`,
} as const;

/** A production PAYLOAD_KEYS value with one strong key. */
export const PRODUCTION_PAYLOAD_KEYS = `prod-1:${strongBytes('payload-key').toString('base64')}`;

/** The downstream systems' URLs and keys as production has them. */
export const PRODUCTION_DOWNSTREAM = {
  ACCOUNTING_API_URL: 'https://accounting.example.com/api',
  ACCOUNTING_API_KEY: strongToken('accounting-key'),
  EMAIL_PLATFORM_API_URL: 'https://email.example.com/v3',
  EMAIL_PLATFORM_API_KEY: strongToken('email-platform-key'),
  CRM_API_URL: 'https://crm.example.com',
  CRM_API_KEY: strongToken('crm-key'),
  SHOP_API_URL: 'https://shop.example.com',
  SHOP_API_KEY: strongToken('shop-key'),
  STRIPE_API_URL: 'https://api.stripe.com',
  STRIPE_API_KEY: `rk_live_${strongToken('stripe-key')}`,
  ALERTS_WEBHOOK_URL: `https://hooks.slack.com/services/T000/B000/${strongToken('alerts-url')}`,
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
