import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { developmentApiKey, loadConfig } from '../../src/config';
import {
  messageOf,
  PRODUCTION_DOWNSTREAM,
  PRODUCTION_PAYLOAD_KEYS,
  PRODUCTION_WEBHOOK_SECRETS,
  strongBytes,
  strongToken,
} from './fixtures';

// Production refuses a secret anyone could know or guess, whether the service filled it in or a person set it: the
// development values `npm start` uses and prints, weak or degenerate tokens and keys, one secret serving two roles,
// and a codec origin that is not an origin. The error names every offending variable at once, never a value.

const strongEnv = (overrides: Record<string, string> = {}): Record<string, string> => ({
  NODE_ENV: 'production',
  ...PRODUCTION_WEBHOOK_SECRETS,
  ...PRODUCTION_DOWNSTREAM,
  PAYLOAD_KEYS: PRODUCTION_PAYLOAD_KEYS,
  API_CLIENTS: JSON.stringify([{ name: 'erp', key: strongToken('erp-client'), scopes: ['orders:write'] }]),
  ADMIN_TOKEN: strongToken('admin-token'),
  CODEC_TOKEN: strongToken('codec-token'),
  ...overrides,
});

/** The development values as `npm start` has them: what a development config holds when nothing is set. */
function developmentValues() {
  const dev = loadConfig({ NODE_ENV: 'development' });
  const key = dev.payloads.keys[0]!;
  return {
    PAYLOAD_KEYS: `${key.id}:${key.key.toString('base64')}`,
    // The key `npm start` prints on its /api/v1 line.
    apiKey: developmentApiKey(),
    SHOP_WEBHOOK_SECRET: dev.sources.shop.secrets[0]!,
    SHOPIFY_WEBHOOK_SECRET: dev.sources.shopify.secrets[0]!,
    STRIPE_WEBHOOK_SECRET: dev.sources.stripe.secrets[0]!,
    CRM_API_KEY: dev.systems.crm.apiKey!,
    ALERTS_WEBHOOK_URL: dev.systems.alerts.url,
    CODEC_TOKEN: dev.codec!.token,
  };
}

/** Every fragment of 6+ characters of the values, so a message quoting any part of one is caught. */
const fragments = (values: string[]) =>
  values.flatMap((v) => Array.from({ length: Math.max(0, v.length - 5) }, (_, i) => v.slice(i, i + 6)));

describe('production secrets', () => {
  test('strong, distinct values of its own start production', () => {
    expect(loadConfig(strongEnv()).production).toBe(true);
  });

  test('the reported configuration is refused: every offending variable named at once, no value quoted', () => {
    const dev = developmentValues();
    const env = strongEnv({
      PAYLOAD_KEYS: dev.PAYLOAD_KEYS,
      API_CLIENTS: JSON.stringify([{ name: 'dev', key: dev.apiKey, scopes: ['orders:write'] }]),
      SHOP_WEBHOOK_SECRET: dev.SHOP_WEBHOOK_SECRET,
      SHOPIFY_WEBHOOK_SECRET: dev.SHOPIFY_WEBHOOK_SECRET,
      STRIPE_WEBHOOK_SECRET: dev.STRIPE_WEBHOOK_SECRET,
      ADMIN_TOKEN: 'aaaaaaaaaaaaaaaa',
      CODEC_TOKEN: 'aaaaaaaaaaaaaaaa',
      CRM_API_KEY: 'password',
      EMAIL_PLATFORM_API_KEY: '12345678',
      CODEC_CORS_ORIGIN: 'file:///x',
    });
    const message = messageOf(() => loadConfig(env));
    for (const name of [
      'PAYLOAD_KEYS',
      'API_CLIENTS',
      'SHOP_WEBHOOK_SECRET',
      'SHOPIFY_WEBHOOK_SECRET',
      'STRIPE_WEBHOOK_SECRET',
      'ADMIN_TOKEN',
      'CODEC_TOKEN',
      'CRM_API_KEY',
      'EMAIL_PLATFORM_API_KEY',
      'CODEC_CORS_ORIGIN',
    ]) {
      expect(message).toContain(name);
    }
    const quoted = fragments([
      dev.PAYLOAD_KEYS.split(':')[1]!,
      dev.apiKey,
      dev.SHOP_WEBHOOK_SECRET,
      dev.SHOPIFY_WEBHOOK_SECRET,
      dev.STRIPE_WEBHOOK_SECRET,
      'aaaaaaaaaaaaaaaa',
      'password',
      '12345678',
      'file:///x',
    ]).filter((f) => message.includes(f));
    expect(quoted).toEqual([]);
  });

  describe('a development value is refused wherever it came from', () => {
    const dev = developmentValues();
    test.each([
      [
        'the development payload key, under another id',
        { PAYLOAD_KEYS: `mine:${dev.PAYLOAD_KEYS.split(':')[1]}` },
        'PAYLOAD_KEYS key 1',
      ],
      [
        'the development payload key second, behind a good one',
        { PAYLOAD_KEYS: `${PRODUCTION_PAYLOAD_KEYS},old:${dev.PAYLOAD_KEYS.split(':')[1]}` },
        'PAYLOAD_KEYS key 2',
      ],
      [
        'the printed API key, as its SHA-256',
        {
          API_CLIENTS: JSON.stringify([
            {
              name: 'erp',
              key: `sha256:${createHash('sha256').update(dev.apiKey).digest('hex')}`,
              scopes: ['orders:write'],
            },
          ]),
        },
        'API_CLIENTS client "erp"',
      ],
      ['the printed API key as an admin token', { ADMIN_TOKEN: dev.apiKey }, 'ADMIN_TOKEN'],
      ['the printed API key in capitals', { ADMIN_TOKEN: dev.apiKey.toUpperCase() }, 'ADMIN_TOKEN'],
      [
        'a slice of the development codec token',
        { CODEC_TOKEN: `mine-${dev.CODEC_TOKEN.slice(6, 30)}` },
        'CODEC_TOKEN',
      ],
      ['the development codec token', { CODEC_TOKEN: dev.CODEC_TOKEN }, 'CODEC_TOKEN'],
      ['a development downstream key', { CRM_API_KEY: dev.CRM_API_KEY }, 'CRM_API_KEY'],
      [
        'a development webhook secret during a rotation',
        { STRIPE_WEBHOOK_SECRET: `${PRODUCTION_WEBHOOK_SECRETS.STRIPE_WEBHOOK_SECRET} ${dev.STRIPE_WEBHOOK_SECRET}` },
        'STRIPE_WEBHOOK_SECRET secret 2',
      ],
      [
        'the development alerts URL',
        { ALERTS_WEBHOOK_URL: dev.ALERTS_WEBHOOK_URL.replace('http://127.0.0.1:4000', 'https://hooks.example.com') },
        'ALERTS_WEBHOOK_URL',
      ],
    ])('%s', (_what, overrides, named) => {
      const message = messageOf(() => loadConfig(strongEnv(overrides)));
      expect(message).toContain(`${named} is a public development value`);
    });
  });

  describe('a weak or degenerate secret is refused', () => {
    test.each([
      ['a run of one character', { ADMIN_TOKEN: 'x'.repeat(64) }, 'ADMIN_TOKEN'],
      ['a repeated short pattern', { CODEC_TOKEN: 'abc123'.repeat(8) }, 'CODEC_TOKEN'],
      ['a counting sequence', { ADMIN_TOKEN: 'abcdefghijklmnopqrstuvwxyz0123456789' }, 'ADMIN_TOKEN'],
      ['a common password padded', { ADMIN_TOKEN: 'Password1234567890!' }, 'ADMIN_TOKEN'],
      ['words of the variable name', { CRM_API_KEY: 'crm-api-key-production' }, 'CRM_API_KEY'],
      ['a common password', { EMAIL_PLATFORM_API_KEY: 'letmein!' }, 'EMAIL_PLATFORM_API_KEY'],
      ['an all-zero payload key', { PAYLOAD_KEYS: `k1:${Buffer.alloc(32).toString('base64')}` }, 'PAYLOAD_KEYS key 1'],
      [
        'a payload key of one repeated 4-byte pattern',
        { PAYLOAD_KEYS: `k1:${Buffer.alloc(32, Buffer.from([1, 2, 3, 4])).toString('base64')}` },
        'PAYLOAD_KEYS key 1',
      ],
      [
        'a shop secret of all-one bytes',
        { SHOP_WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 1).toString('base64')}` },
        'SHOP_WEBHOOK_SECRET',
      ],
      [
        'a weak raw API client key',
        { API_CLIENTS: JSON.stringify([{ name: 'erp', key: 'z'.repeat(30), scopes: ['orders:write'] }]) },
        'API_CLIENTS client "erp"',
      ],
    ])('%s', (_what, overrides, named) => {
      const message = messageOf(() => loadConfig(strongEnv(overrides)));
      expect(message).toMatch(
        new RegExp(
          `${named.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is (too weak|on the list of commonly used values|not random)`,
        ),
      );
    });
  });

  describe('one secret serving two roles is refused, naming both', () => {
    const shared = strongToken('shared');
    test.each([
      ['the admin and the codec token', { ADMIN_TOKEN: shared, CODEC_TOKEN: shared }, ['ADMIN_TOKEN', 'CODEC_TOKEN']],
      [
        'a webhook secret and the admin token',
        { SHOPIFY_WEBHOOK_SECRET: shared, ADMIN_TOKEN: shared },
        ['ADMIN_TOKEN', 'SHOPIFY_WEBHOOK_SECRET'],
      ],
      [
        'a Stripe secret and a downstream key, one with the whsec_ prefix',
        { STRIPE_WEBHOOK_SECRET: `whsec_${shared}`, ACCOUNTING_API_KEY: shared },
        ['STRIPE_WEBHOOK_SECRET', 'ACCOUNTING_API_KEY'],
      ],
      [
        'two API clients',
        {
          API_CLIENTS: JSON.stringify([
            { name: 'erp', key: shared, scopes: ['orders:write'] },
            {
              name: 'support',
              key: `sha256:${createHash('sha256').update(shared).digest('hex')}`,
              scopes: ['contacts:read'],
            },
          ]),
        },
        ['API_CLIENTS client "erp"', 'API_CLIENTS client "support"'],
      ],
      [
        'the shop secret and a payload key',
        {
          SHOP_WEBHOOK_SECRET: `whsec_${strongBytes('shared').toString('base64')}`,
          PAYLOAD_KEYS: `k1:${strongBytes('shared').toString('base64')}`,
        },
        ['SHOP_WEBHOOK_SECRET', 'PAYLOAD_KEYS key 1'],
      ],
      ['two downstream keys', { CRM_API_KEY: shared, SHOP_API_KEY: shared }, ['CRM_API_KEY', 'SHOP_API_KEY']],
    ])('%s', (_what, overrides, named) => {
      const message = messageOf(() => loadConfig(strongEnv(overrides)));
      const line = message.split('\n').find((l) => l.includes('hold the same secret'));
      for (const name of named) expect(line).toContain(name);
      expect(message).not.toContain(shared.slice(0, 8));
    });
  });

  describe('the codec origin must be http(s)://host[:port]', () => {
    test.each([
      'file:///x',
      'null',
      'https://ui.example.com/path',
      'https://user:pw@ui.example.com',
      'https://*.example.com',
      '*',
      'ftp://ui.example.com',
      'https://ui.example.com?x=1',
    ])('%s is refused', (origin) => {
      expect(messageOf(() => loadConfig(strongEnv({ CODEC_CORS_ORIGIN: origin })))).toMatch(
        /CODEC_CORS_ORIGIN: must be an origin/,
      );
    });
    test.each(['https://ui.example.com', 'http://localhost:8233', 'https://ui.example.com:8443/'])(
      '%s is accepted',
      (origin) => {
        expect(loadConfig(strongEnv({ CODEC_CORS_ORIGIN: origin })).codec?.corsOrigin).toBe(new URL(origin).origin);
      },
    );
    test('a Web UI URL that is not http(s) cannot stand in for the origin', () => {
      expect(messageOf(() => loadConfig(strongEnv({ TEMPORAL_UI_URL: 'file:///ui' })))).toMatch(
        /TEMPORAL_UI_URL is not http\(s\)/,
      );
    });
  });

  test('a development start still runs on the development values, unchanged', () => {
    const config = loadConfig({ NODE_ENV: 'development' }, 'all', { deployable: true });
    expect(config.defaultedSecrets).toEqual(
      expect.arrayContaining(['PAYLOAD_KEYS', 'API_CLIENTS', 'SHOP_WEBHOOK_SECRET']),
    );
    expect(config.codec?.development).toBe(true);
  });
});

describe('.env.example', () => {
  test('a copy of it never sets NODE_ENV, so it cannot switch a deployment to development', () => {
    const example = fs.readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    const set = example.split('\n').filter((line) => /^\s*(export\s+)?NODE_ENV\s*=/.test(line));
    expect(set).toEqual([]);
    expect(example).toMatch(/^# NODE_ENV=development$/m);
  });
});
