import { createHash } from 'node:crypto';
import { loadConfig, requiredInProduction } from '../../src/config';
import { keyDigest } from '../../src/config/api-clients';
import {
  messageOf,
  PRODUCTION_DOWNSTREAM,
  PRODUCTION_PAYLOAD_KEYS,
  PRODUCTION_WEBHOOK_SECRETS,
  strongToken,
} from './fixtures';

// API_CLIENTS is configured like a secret: required in production while /api/v1 is on, derived in development,
// validated entry by entry without ever echoing a key.
const production = (env: Record<string, string>) => ({
  NODE_ENV: 'production',
  ...PRODUCTION_WEBHOOK_SECRETS,
  CRM_API_URL: PRODUCTION_DOWNSTREAM.CRM_API_URL,
  CRM_API_KEY: PRODUCTION_DOWNSTREAM.CRM_API_KEY,
  EMAIL_PLATFORM_API_URL: PRODUCTION_DOWNSTREAM.EMAIL_PLATFORM_API_URL,
  EMAIL_PLATFORM_API_KEY: PRODUCTION_DOWNSTREAM.EMAIL_PLATFORM_API_KEY,
  PAYLOAD_KEYS: PRODUCTION_PAYLOAD_KEYS,
  ...env,
});

describe('API_CLIENTS', () => {
  test('production refuses to start the API with /api/v1 enabled and no client, naming the variable', () => {
    expect(messageOf(() => loadConfig(production({}), 'api'))).toMatch(/API_CLIENTS is required in production/);
    expect(requiredInProduction('api')).toContain('API_CLIENTS');
  });

  test('with API_ENABLED=false production starts without a client or the contact systems, and /api/v1 is off', () => {
    const env = production({ API_ENABLED: 'false' });
    delete (env as Record<string, string>).CRM_API_URL;
    delete (env as Record<string, string>).CRM_API_KEY;
    expect(loadConfig(env, 'api').api).toBeUndefined();
  });

  test('a key is kept only as its SHA-256; a configured hash is used as given', () => {
    const raw = strongToken('erp-client');
    const hash = createHash('sha256').update(strongToken('support-client')).digest('hex');
    const config = loadConfig(
      production({
        API_CLIENTS: JSON.stringify([
          { name: 'erp', key: raw, scopes: ['orders:write'], system: 'crm' },
          { name: 'support', key: `sha256:${hash}`, scopes: ['contacts:read'], ratePerSecond: 2 },
        ]),
      }),
      'api',
    );
    expect(config.api?.clients).toEqual([
      { name: 'erp', keySha256: keyDigest(raw), scopes: ['orders:write'], system: 'crm', ratePerSecond: 10 },
      { name: 'support', keySha256: Buffer.from(hash, 'hex'), scopes: ['contacts:read'], ratePerSecond: 2 },
    ]);
  });

  test('a bad entry is named by index and field, and the key is never echoed', () => {
    const key = 'short-secret-key';
    const message = messageOf(() =>
      loadConfig(production({ API_CLIENTS: JSON.stringify([{ name: 'erp', key, scopes: ['orders:delete'] }]) }), 'api'),
    );
    expect(message).toMatch(/API_CLIENTS \[0\]\.key: a key of 24\+ visible ASCII/);
    expect(message).toMatch(/API_CLIENTS \[0\]\.scopes\[0\]/);
    expect(message).not.toContain(key);
    expect(messageOf(() => loadConfig(production({ API_CLIENTS: 'erp:key' }), 'api'))).toMatch(
      /API_CLIENTS is not JSON/,
    );
  });

  test('in development an unset API_CLIENTS is one derived client with every scope, and is reported as defaulted', () => {
    const config = loadConfig({ NODE_ENV: 'development' }, 'api');
    expect(config.api?.clients).toEqual([
      expect.objectContaining({ name: 'dev', scopes: ['orders:write', 'contacts:write', 'contacts:read'] }),
    ]);
    expect(config.defaultedSecrets).toContain('API_CLIENTS');
    expect(config.api?.syncWaitMs).toBe(5000);
  });

  test('the worker role neither needs nor parses API_CLIENTS in production', () => {
    const env = production({ ...PRODUCTION_DOWNSTREAM });
    expect(loadConfig(env, 'worker').api).toBeUndefined();
  });
});
