import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, readVariable, requiredInProduction, variableDocs } from '../../src/config';
import {
  messageOf,
  PRODUCTION_DOWNSTREAM,
  PRODUCTION_PAYLOAD_KEYS,
  PRODUCTION_WEBHOOK_SECRETS,
  strongBytes,
  strongToken,
} from './fixtures';

const productionEnv = (overrides: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  ...PRODUCTION_WEBHOOK_SECRETS,
  ...PRODUCTION_DOWNSTREAM,
  PAYLOAD_KEYS: PRODUCTION_PAYLOAD_KEYS,
  API_CLIENTS: JSON.stringify([
    { name: 'erp', key: `sha256:${strongBytes('erp-client').toString('hex')}`, scopes: ['orders:write'] },
  ]),
  ...overrides,
});

describe('config', () => {
  test('with no configuration, development values are used and listed for the startup banner', () => {
    const config = loadConfig({});
    expect(config.production).toBe(false);
    expect(config.http.port).toBe(3000);
    expect(config.sources.shop.secrets[0]).toMatch(/^whsec_/);
    expect(config.defaultedSecrets).toEqual(expect.arrayContaining(['SHOP_WEBHOOK_SECRET', 'ACCOUNTING_API_KEY']));
    expect(config.systems.accounting.url).toBe('http://127.0.0.1:4000/accounting');
    expect(config.systems['email-platform'].url).toBe('http://127.0.0.1:4000/email-platform');
    expect(config.systems.alerts.url).toMatch(/^http:\/\/127\.0\.0\.1:4000\/alerts\/dev_[0-9a-f]{32}$/);
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
    const message = messageOf(() => loadConfig({ NODE_ENV: 'production' }));
    for (const name of requiredInProduction('all')) expect(message).toContain(name);
  });

  test('the API role needs the webhook secrets and the contact owners it reads for /api/v1, no other downstream', () => {
    const env = productionEnv();
    const api = new Set(requiredInProduction('api'));
    for (const name of requiredInProduction('worker')) if (!api.has(name)) delete (env as Record<string, string>)[name];
    expect([...api].filter((n) => /_API_(URL|KEY)$/.test(n))).toEqual([
      'EMAIL_PLATFORM_API_URL',
      'EMAIL_PLATFORM_API_KEY',
      'CRM_API_URL',
      'CRM_API_KEY',
    ]);
    expect(loadConfig(env, 'api').sources.stripe.secrets).toEqual([PRODUCTION_WEBHOOK_SECRETS.STRIPE_WEBHOOK_SECRET]);
    expect(() => loadConfig(env, 'worker')).toThrow(/ACCOUNTING_API_URL is required/);
  });

  test('a source with no secret refuses to start in production', () => {
    const env = productionEnv({ SHOPIFY_WEBHOOK_SECRET: '  ' });
    expect(() => loadConfig(env, 'api')).toThrow(/SHOPIFY_WEBHOOK_SECRET is required in production/);
  });

  test('several space-separated secrets are read for rotation', () => {
    const a = `whsec_${randomBytes(24).toString('base64')}`;
    const b = `whsec_${randomBytes(24).toString('base64')}`;
    const config = loadConfig(productionEnv({ SHOP_WEBHOOK_SECRET: `${a}  ${b}` }));
    expect(config.sources.shop.secrets).toEqual([a, b]);
  });

  test('a malformed value is rejected with the variable and the reason', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ ACCOUNTING_API_URL: 'not a url' })).toThrow(/ACCOUNTING_API_URL/);
    expect(() => loadConfig({ TASK_QUEUE_PREFIX: 'Bad Prefix' })).toThrow(/TASK_QUEUE_PREFIX/);
  });

  test('the error message never contains a secret value', () => {
    const env = productionEnv({ EMAIL_PLATFORM_API_KEY: 'short', SHOP_WEBHOOK_SECRET: 'whsec_ab' });
    const message = messageOf(() => loadConfig(env));
    expect(message).toMatch(/EMAIL_PLATFORM_API_KEY/);
    expect(message).toMatch(/SHOP_WEBHOOK_SECRET/);
    for (const value of [PRODUCTION_DOWNSTREAM.ACCOUNTING_API_KEY, 'short', 'whsec_ab'])
      expect(message).not.toContain(value);
  });

  describe('weak webhook secrets are refused, naming the variable and never the value', () => {
    test.each([
      ['SHOP_WEBHOOK_SECRET', 'whsec_ab', /canonical base64/],
      ['SHOP_WEBHOOK_SECRET', 'whsec_YWI=', /decodes to 2 bytes/],
      ['SHOP_WEBHOOK_SECRET', `whsec_${Buffer.alloc(15, 7).toString('base64')}`, /decodes to 15 bytes/],
      ['SHOP_WEBHOOK_SECRET', 'whsec_c2Vjc!mV0LXNob3AtcHJvZHVjdGlvbg==', /canonical base64/],
      ['SHOP_WEBHOOK_SECRET', 'whsec_c2VjcmV0LXNob3AtcHJvZHVjdGlvbg', /canonical base64/],
      ['SHOP_WEBHOOK_SECRET', 'c2VjcmV0LXNob3AtcHJvZHVjdGlvbg==', /must start with whsec_/],
      ['SHOPIFY_WEBHOOK_SECRET', 'shpss_short', /use at least 16/],
      ['STRIPE_WEBHOOK_SECRET', 'whsec_123', /use at least 16/],
      ['STRIPE_WEBHOOK_SECRET', 'sk_live_not_a_webhook_secret', /must start with whsec_/],
    ])('%s=%s', (name, value, reason) => {
      const message = messageOf(() => loadConfig(productionEnv({ [name]: value }), 'api'));
      expect(message).toContain(name);
      expect(message).toMatch(reason);
      expect(message).not.toContain(value);
    });

    test('one weak secret among rotated ones is named by its position', () => {
      const good = `whsec_${randomBytes(24).toString('base64')}`;
      const message = messageOf(() => loadConfig(productionEnv({ SHOP_WEBHOOK_SECRET: `${good} whsec_YWI=` }), 'api'));
      expect(message).toMatch(/SHOP_WEBHOOK_SECRET secret 2 decodes to 2 bytes/);
    });
  });

  describe('the deployable entry points and development secrets', () => {
    test('NODE_ENV unset: development secrets are refused, naming the variables and the way out', () => {
      const message = messageOf(() => loadConfig({}, 'api', { deployable: true }));
      expect(message).toMatch(
        /SHOP_WEBHOOK_SECRET, SHOPIFY_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET, API_CLIENTS are unset/,
      );
      expect(message).toMatch(/NODE_ENV=development/);
    });

    test('NODE_ENV=test is not development: refused too', () => {
      expect(() => loadConfig({ NODE_ENV: 'test' }, 'worker', { deployable: true })).toThrow(/ACCOUNTING_API_KEY/);
    });

    test('NODE_ENV=development set explicitly: accepted, and listed so the entry point warns', () => {
      const config = loadConfig({ NODE_ENV: 'development' }, 'api', { deployable: true });
      expect(config.defaultedSecrets).toEqual(
        expect.arrayContaining(['SHOP_WEBHOOK_SECRET', 'SHOPIFY_WEBHOOK_SECRET', 'STRIPE_WEBHOOK_SECRET']),
      );
    });

    test('every secret set: accepted outside development with nothing defaulted', () => {
      const env = { ...productionEnv(), NODE_ENV: 'test' };
      expect(loadConfig(env, 'all', { deployable: true }).defaultedSecrets).toEqual([]);
    });
  });

  test('an earlier variable name still works and is reported as deprecated', () => {
    const oldName = strongToken('email-key-from-old-name');
    const env = productionEnv({ EMAIL_API_KEY: oldName });
    delete (env as Record<string, string>).EMAIL_PLATFORM_API_KEY;
    const config = loadConfig(env);
    expect(config.systems['email-platform'].apiKey).toBe(oldName);
    expect(config.deprecations).toEqual(['EMAIL_API_KEY is deprecated: rename it EMAIL_PLATFORM_API_KEY']);
  });

  test('an empty ADMIN_TOKEN (as compose passes an unset one) means the admin API is off, not a startup error', () => {
    expect(loadConfig(productionEnv({ ADMIN_TOKEN: '' })).admin).toBeUndefined();
    expect(() => loadConfig(productionEnv({ ADMIN_TOKEN: 'too-short' }))).toThrow(/ADMIN_TOKEN/);
  });

  test('every variable is documented with its role, and each secret is marked secret', () => {
    const docs = variableDocs();
    const names = docs.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const doc of docs) {
      expect(doc.description.length).toBeGreaterThan(10);
      expect(doc.roles.length).toBeGreaterThan(0);
    }
    for (const name of ['SHOP_WEBHOOK_SECRET', 'ACCOUNTING_API_KEY', 'ALERTS_WEBHOOK_URL', 'ADMIN_TOKEN']) {
      expect(docs.find((d) => d.name === name)?.secret).toBe(true);
    }
  });

  test('every variable the code or @temporalio/envconfig reads is documented (the catalog and .env.example list it)', () => {
    const documented = new Set(variableDocs().map((d) => d.name));
    const read = new Set<string>();
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
      });
    for (const file of walk(path.join(__dirname, '../../src'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g))
        read.add(m[1] ?? m[2]!);
    }
    // The Temporal connection follows @temporalio/envconfig; its codec settings are ignored by the TypeScript client.
    const envconfig = fs.readFileSync(
      path.join(path.dirname(require.resolve('@temporalio/envconfig')), 'envconfig-toml.js'),
      'utf8',
    );
    for (const [name] of envconfig.matchAll(/\bTEMPORAL_[A-Z_]+[A-Z]\b/g)) {
      if (!name.startsWith('TEMPORAL_CODEC_') && name !== 'TEMPORAL_GRPC_META') read.add(name);
    }
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
  });

  describe('one rate budget per system, shared by the workers and the API replicas', () => {
    test('a system the API reads: the workers get its limit minus API_REPLICAS × the read rate of one replica', () => {
      const config = loadConfig({
        CRM_RATE_LIMIT_PER_SECOND: '10',
        CRM_API_READ_RATE_PER_SECOND: '2',
        API_REPLICAS: '3',
      });
      expect(config.systems.crm).toMatchObject({ ratePerSecond: 10, readRatePerSecond: 2, workerRatePerSecond: 4 });
      // The other contact owner keeps its defaults: 10/s, 1/s for each of the 3 replicas, 7/s for the workers.
      expect(config.systems['email-platform']).toMatchObject({ readRatePerSecond: 1, workerRatePerSecond: 7 });
    });

    test('a system the API never reads: the workers get its whole limit', () => {
      const config = loadConfig({ ACCOUNTING_RATE_LIMIT_PER_SECOND: '20', API_REPLICAS: '4' });
      expect(config.systems.accounting).toMatchObject({
        ratePerSecond: 20,
        readRatePerSecond: 0,
        workerRatePerSecond: 20,
      });
    });

    test('API_REPLICAS=0 (no API serves reads) leaves the workers the whole limit', () => {
      const config = loadConfig({ API_REPLICAS: '0', API_ENABLED: 'false' }, 'worker');
      expect(config.systems.crm).toMatchObject({ readRatePerSecond: 1, workerRatePerSecond: 10 });
    });

    test('reads that would leave the workers less than 1 call per second are refused, with the arithmetic', () => {
      const message = messageOf(() =>
        loadConfig({ CRM_RATE_LIMIT_PER_SECOND: '4', CRM_API_READ_RATE_PER_SECOND: '2', API_REPLICAS: '2' }),
      );
      expect(message).toContain(
        'CRM_RATE_LIMIT_PER_SECOND=4 leaves the workers nothing: API_REPLICAS=2 × CRM_API_READ_RATE_PER_SECOND=2',
      );
    });

    test('an API process that serves reads with API_REPLICAS=0 is refused: its reads would have no budget', () => {
      expect(messageOf(() => loadConfig({ API_REPLICAS: '0' }, 'api'))).toContain('API_REPLICAS=0');
    });
  });

  test('readVariable: one setting for an operator command, validated, with no secret demanded in production', () => {
    expect(readVariable('WORKER_DEPLOYMENT_NAME', { NODE_ENV: 'production' })).toBe('switchyard');
    expect(readVariable('WORKER_DEPLOYMENT_NAME', { WORKER_DEPLOYMENT_NAME: ' shop-eu ' })).toBe('shop-eu');
    expect(() => readVariable('WORKER_DEPLOYMENT_NAME', { WORKER_DEPLOYMENT_NAME: 'a b' })).toThrow(
      /^WORKER_DEPLOYMENT_NAME: 1–64 letters/,
    );
  });
});
