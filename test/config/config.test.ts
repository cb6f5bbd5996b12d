import { ConfigError, loadConfig, requiredInProduction } from '../../src/config';

const productionEnv = (overrides: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  WEBHOOK_SECRET_SHOP: 'whsec_c2VjcmV0LXNob3AtcHJvZHVjdGlvbg==',
  WEBHOOK_SECRET_SHOPIFY: 'shopify-secret-production',
  WEBHOOK_SECRET_STRIPE: 'whsec_stripeproductionsecret',
  ACCOUNTING_API_URL: 'https://accounting.example.com/api',
  ACCOUNTING_API_KEY: 'accounting-key-prod',
  EMAIL_API_URL: 'https://email.example.com/v3',
  EMAIL_API_KEY: 'email-key-production',
  CRM_API_URL: 'https://crm.example.com',
  CRM_API_KEY: 'crm-key-production',
  SHOP_API_URL: 'https://shop.example.com',
  SHOP_API_KEY: 'shop-key-production',
  ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
  ...overrides,
});

describe('config', () => {
  test('with no configuration, development values are used and listed for the startup banner', () => {
    const config = loadConfig({});
    expect(config.production).toBe(false);
    expect(config.http.port).toBe(3000);
    expect(config.sources.shop.secrets[0]).toMatch(/^whsec_/);
    expect(config.defaultedSecrets).toEqual(expect.arrayContaining(['WEBHOOK_SECRET_SHOP', 'ACCOUNTING_API_KEY']));
    expect(config.downstream.accounting.url).toBe('http://127.0.0.1:4000/accounting');
  });

  test('development secrets are stable across loads, so a restarted sender and receiver still agree', () => {
    expect(loadConfig({}).sources.shop.secrets).toEqual(loadConfig({}).sources.shop.secrets);
  });

  test('in production, a missing secret stops startup with a message naming the variable', () => {
    const env = productionEnv();
    delete (env as Record<string, string>).ACCOUNTING_API_KEY;
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/ACCOUNTING_API_KEY is required in production/);
  });

  test('in production, every missing variable is named at once', () => {
    try {
      loadConfig({ NODE_ENV: 'production' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      for (const name of requiredInProduction('all')) expect((err as Error).message).toContain(name);
    }
  });

  test('the API role needs the webhook secrets but not the downstream credentials', () => {
    const env = productionEnv();
    for (const name of requiredInProduction('worker')) delete (env as Record<string, string>)[name];
    expect(loadConfig(env, 'api').sources.stripe.secrets).toEqual(['whsec_stripeproductionsecret']);
    expect(() => loadConfig(env, 'worker')).toThrow(/ACCOUNTING_API_URL is required/);
  });

  test('a source with no secret refuses to start in production', () => {
    const env = productionEnv({ WEBHOOK_SECRET_SHOPIFY: '  ' });
    expect(() => loadConfig(env, 'api')).toThrow(/WEBHOOK_SECRET_SHOPIFY is required in production/);
  });

  test('several space-separated secrets are read for rotation', () => {
    const config = loadConfig(productionEnv({ WEBHOOK_SECRET_SHOP: 'whsec_b2xkLXNlY3JldA==  whsec_bmV3LXNlY3JldA==' }));
    expect(config.sources.shop.secrets).toEqual(['whsec_b2xkLXNlY3JldA==', 'whsec_bmV3LXNlY3JldA==']);
  });

  test('a malformed value is rejected with the variable and the reason', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ ACCOUNTING_API_URL: 'not a url' })).toThrow(/ACCOUNTING_API_URL/);
    expect(() => loadConfig({ TASK_QUEUE_PREFIX: 'Bad Prefix' })).toThrow(/TASK_QUEUE_PREFIX/);
  });

  test('the error message never contains a secret value', () => {
    const env = productionEnv({ EMAIL_API_KEY: 'short' });
    expect(() => loadConfig(env)).toThrow(/EMAIL_API_KEY/);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as Error).message).not.toContain('accounting-key-prod');
    }
  });
});
