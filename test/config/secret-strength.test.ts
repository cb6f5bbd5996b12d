import { randomBytes } from 'node:crypto';
import {
  DevelopmentValues,
  estimateBits,
  keyWeakness,
  MIN_SECRET_BITS,
  originProblem,
  secretPart,
  sharedSecretProblems,
  tokenWeakness,
} from '../../src/config/secret-strength';

// The strength estimate refuses what a guesser tries first and never what a generator gives: random values of the
// documented shapes pass every time, and runs, patterns, sequences and common words fail whatever their length.

describe('the strength estimate', () => {
  test.each([
    ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
    ['openssl rand -hex 16', () => randomBytes(16).toString('hex')],
    ['openssl rand -hex 24', () => randomBytes(24).toString('hex')],
    ['an 18-byte base64 token', () => randomBytes(18).toString('base64')],
    ['a vendor-shaped key', () => `sk_live_${randomBytes(18).toString('base64url')}`],
    ['a Shopify-shaped secret', () => `shpss_${randomBytes(16).toString('hex')}`],
  ])('%s always passes (2,000 samples)', (_what, generate) => {
    const failures = Array.from({ length: 2000 }, generate).filter((v) => tokenWeakness(v) !== undefined);
    expect(failures).toEqual([]);
  });

  test('32 random bytes always pass as a payload key (2,000 samples)', () => {
    const failures = Array.from({ length: 2000 }, () => randomBytes(32)).filter((k) => keyWeakness(k) !== undefined);
    expect(failures).toEqual([]);
  });

  test.each([
    'a'.repeat(100),
    '0'.repeat(40),
    'ab'.repeat(30),
    'Secret123'.repeat(5),
    'abcdefghijklmnopqrstuvwxyz',
    '01234567890123456789012345678901',
    'zyxwvutsrqponmlkjihgfedcba',
    'password',
    'P@ssw0rd1234567890',
    'changeme-changeme-changeme',
    'qwertyuiopasdfghjkl',
    'production-api-key-secret-token',
    'whsec_aaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '12345678',
    'hunter2',
  ])('%s is refused', (value) => {
    expect(tokenWeakness(value)).toBeDefined();
    expect(estimateBits(value)).toBeLessThan(MIN_SECRET_BITS);
  });

  test.each([
    ['all zero', Buffer.alloc(32)],
    ['all one byte', Buffer.alloc(32, 0xff)],
    ['a repeated 2-byte pattern', Buffer.alloc(32, Buffer.from([0xde, 0xad]))],
    ['a repeated 16-byte pattern', Buffer.alloc(32, randomBytes(16))],
    ['counting bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i))],
    ['half random, half zero', Buffer.concat([randomBytes(16), Buffer.alloc(16)])],
  ])('a payload key that is %s is refused', (_what, key) => {
    expect(keyWeakness(key)).toBeDefined();
  });

  test('no reason ever quotes the value', () => {
    for (const value of ['aaaaaaaaaaaaaaaaaaaa', 'password', 'letmein!', 'abcdefghijklmnop']) {
      expect(tokenWeakness(value)).not.toContain(value);
    }
  });
});

describe('development values', () => {
  const devToken = `dev_${randomBytes(16).toString('hex')}`;
  const devKey = randomBytes(32).toString('base64');
  const development = new DevelopmentValues([devToken, `dev:${devKey}`, `whsec_${devKey}`]);

  test('are recognised as given, inside another format, as a slice, and as their SHA-256', () => {
    expect(development.matches(secretPart('X', devToken))).toBe(true);
    expect(development.matches(secretPart('X', `other:${devKey}`))).toBe(true);
    expect(development.matches(secretPart('X', `prefix-${devToken.slice(4)}-suffix`))).toBe(true);
    expect(development.matches(secretPart('X', devKey.slice(3, 23)))).toBe(true);
    const digest = secretPart('X', devToken).sha256;
    expect(development.matches({ variable: 'API_CLIENTS', sha256: digest })).toBe(true);
  });

  test('a value of its own is not one', () => {
    expect(development.matches(secretPart('X', randomBytes(32).toString('base64')))).toBe(false);
    expect(development.matches(secretPart('X', 'dev'))).toBe(false);
  });
});

describe('shared secrets', () => {
  test('every group sharing one value is named, whatever the prefix, and a lone value is not', () => {
    const a = randomBytes(24).toString('base64url');
    const b = randomBytes(24).toString('base64url');
    const problems = sharedSecretProblems([
      secretPart('ADMIN_TOKEN', a),
      secretPart('CODEC_TOKEN', b),
      secretPart('STRIPE_WEBHOOK_SECRET', `whsec_${a}`),
      secretPart('CRM_API_KEY', b),
      secretPart('SHOP_API_KEY', randomBytes(24).toString('base64url')),
    ]);
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/ADMIN_TOKEN and STRIPE_WEBHOOK_SECRET hold the same secret/);
    expect(problems.join('\n')).toMatch(/CODEC_TOKEN and CRM_API_KEY hold the same secret/);
    expect(problems.join('\n')).not.toContain(a);
  });

  test('one webhook variable listing a secret twice during a rotation is not two roles', () => {
    const a = `whsec_${randomBytes(24).toString('base64')}`;
    expect(
      sharedSecretProblems([
        secretPart('SHOP_WEBHOOK_SECRET', a, 'secret 1'),
        secretPart('SHOP_WEBHOOK_SECRET', a, 'secret 2'),
      ]),
    ).toEqual([]);
  });
});

describe('origins', () => {
  test.each([
    'null',
    'file:///x',
    'https://a.example.com/',
    'https://a.example.com',
    'http://localhost:8233',
    'https://a.example.com/ui',
    'https://u@a.example.com',
    'https://*.example.com',
    'javascript:alert(1)',
    'https://a.example.com#x',
    'data:text/html,x',
  ])('%s', (origin) => {
    const good = ['https://a.example.com/', 'https://a.example.com', 'http://localhost:8233'].includes(origin);
    expect(originProblem(origin) === undefined).toBe(good);
  });
});
