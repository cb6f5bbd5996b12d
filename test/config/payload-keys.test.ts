import { randomBytes } from 'node:crypto';
import { loadConfig, requiredInProduction } from '../../src/config';
import { warnAboutConfig } from '../../src/config/warnings';
import { createLogger } from '../../src/logger';
import { messageOf, PRODUCTION_WEBHOOK_SECRETS } from './fixtures';

const b64 = (n = 32) => randomBytes(n).toString('base64');

const productionEnv = (overrides: Record<string, string | undefined> = {}) =>
  Object.fromEntries(
    Object.entries({
      NODE_ENV: 'production',
      ...PRODUCTION_WEBHOOK_SECRETS,
      PAYLOAD_KEYS: `k2026:${b64()}`,
      // These tests are about payload keys; /api/v1 in production is tested in api-clients.test.ts.
      API_ENABLED: 'false',
      ...overrides,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );

describe('PAYLOAD_KEYS and PAYLOAD_ENCRYPTION', () => {
  test('several id:base64 pairs are read in order: the first encrypts, all decrypt', () => {
    const a = b64();
    const b = b64();
    const config = loadConfig(productionEnv({ PAYLOAD_KEYS: ` new:${b} , old:${a} ` }), 'api');
    expect(config.payloads.keys.map((k) => [k.id, k.key.toString('base64')])).toEqual([
      ['new', b],
      ['old', a],
    ]);
  });

  test('in production, missing PAYLOAD_KEYS stops startup, for both roles', () => {
    expect(requiredInProduction('api')).toContain('PAYLOAD_KEYS');
    expect(requiredInProduction('worker')).toContain('PAYLOAD_KEYS');
    expect(messageOf(() => loadConfig(productionEnv({ PAYLOAD_KEYS: undefined }), 'api'))).toMatch(
      /PAYLOAD_KEYS is required in production/,
    );
  });

  test('in production, PAYLOAD_ENCRYPTION=off starts without keys, with no codec, and warns at every start', () => {
    const config = loadConfig(productionEnv({ PAYLOAD_KEYS: undefined, PAYLOAD_ENCRYPTION: 'off' }), 'api');
    expect(config.payloads).toEqual({ encryption: false, keys: [] });
    const lines: string[] = [];
    warnAboutConfig(config, createLogger({ level: 'warn' }, { write: (l: string) => void lines.push(l) }));
    expect(lines.join('')).toMatch(/PAYLOAD ENCRYPTION IS OFF/);
  });

  test('outside production, an unset PAYLOAD_KEYS is a development key derived like the other secrets', () => {
    const config = loadConfig({});
    expect(config.payloads.encryption).toBe(true);
    expect(config.payloads.keys).toHaveLength(1);
    expect(config.payloads.keys[0]!.id).toBe('dev');
    expect(config.payloads.keys[0]!.key).toHaveLength(32);
    expect(loadConfig({}).payloads.keys[0]!.key.equals(config.payloads.keys[0]!.key)).toBe(true);
    expect(config.defaultedSecrets).toContain('PAYLOAD_KEYS');
  });

  test.each([
    [
      'a key of the wrong length',
      () => `k1:${b64(16)}`,
      /PAYLOAD_KEYS key 1 \("k1"\) decodes to 16 bytes; AES-256 needs 32/,
    ],
    ['no id', () => b64(), /PAYLOAD_KEYS key 1 is not id:base64/],
    ['a key that is not base64', () => 'k1:not*base64!', /PAYLOAD_KEYS key 1 \("k1"\) is not canonical base64/],
    ['the same id twice', () => `k1:${b64()},k1:${b64()}`, /PAYLOAD_KEYS lists key id "k1" twice/],
    ['an id with a space', () => `my key:${b64()}`, /PAYLOAD_KEYS key 1 has an id that is not/],
    ['an empty list', () => ' , ', /PAYLOAD_KEYS is empty/],
  ])('%s is refused, naming the variable and never the value', (_what, value, reason) => {
    const v = value();
    const message = messageOf(() => loadConfig(productionEnv({ PAYLOAD_KEYS: v }), 'api'));
    expect(message).toMatch(reason);
    const secretPart = v.split(',')[0]!.split(':').pop()!.trim();
    if (secretPart.length > 3) expect(message).not.toContain(secretPart);
  });

  test('a PAYLOAD_ENCRYPTION other than on or off is refused', () => {
    expect(messageOf(() => loadConfig({ PAYLOAD_ENCRYPTION: 'no' }))).toMatch(/PAYLOAD_ENCRYPTION/);
  });
});
