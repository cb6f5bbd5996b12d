import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, variableDocs } from '../../src/config';
import { GENERAL_CREDENTIALS } from '../../src/config/credentials';
import type { Systems } from '../../src/config/derived';
import {
  CREDENTIAL_KINDS,
  checkCredentials,
  type CredentialStateSource,
  credentialStatuses,
  type DeclaredCredential,
  ownerProblem,
} from '../../src/kit/credentials';
import { SYSTEMS } from '../../src/registry';
import {
  messageOf,
  PRODUCTION_DOWNSTREAM,
  PRODUCTION_PAYLOAD_KEYS,
  PRODUCTION_WEBHOOK_SECRETS,
  strongToken,
} from '../config/fixtures';

// The credential registry (src/kit/credentials.ts, src/config/credentials.ts): derived from the declarations and the
// config docs, each credential with an owner that is a team or a role, and a state that never shows a value.

const NOW = new Date('2026-12-03T06:00:00Z');
const dev = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'development', ...env });
const stateOf = (config: ReturnType<typeof loadConfig>, name: string, now = NOW) =>
  credentialStatuses(config.credentials, { now }).find((s) => s.name === name)!;

const production = (overrides: Record<string, string> = {}): Record<string, string> => ({
  NODE_ENV: 'production',
  ...PRODUCTION_WEBHOOK_SECRETS,
  ...PRODUCTION_DOWNSTREAM,
  PAYLOAD_KEYS: PRODUCTION_PAYLOAD_KEYS,
  API_CLIENTS: JSON.stringify([{ name: 'erp', key: strongToken('erp-client'), scopes: ['orders:write'] }]),
  ADMIN_TOKEN: strongToken('admin-token'),
  CODEC_TOKEN: strongToken('codec-token'),
  ...overrides,
});

const billingHub = {
  name: 'billing-hub',
  title: 'Billing Hub',
  auth: 'bearer',
  defaultRatePerSecond: 5,
  owner: 'billing team',
} as const;

describe('the credential registry', () => {
  test('lists every secret variable exactly once, and nothing else', () => {
    const secrets = variableDocs()
      .filter((d) => d.secret)
      .map((d) => d.name);
    const listed = dev().credentials.declared.map((c) => c.name);
    expect([...listed].sort()).toEqual([...secrets].sort());
    expect(listed).toEqual(expect.arrayContaining(['EMAIL_PLATFORM_SMTP_URL', 'PAYLOAD_KEYS', 'ADMIN_TOKEN']));
  });

  test("a new system's key appears with its system, kind, owner and runbook, without editing a list", () => {
    const config = loadConfig({ NODE_ENV: 'development' }, 'all', { systems: [...SYSTEMS, billingHub] as Systems });
    expect(config.credentials.declared.find((c) => c.name === 'BILLING_HUB_API_KEY')).toEqual({
      name: 'BILLING_HUB_API_KEY',
      kind: 'api-key',
      scope: 'system',
      of: 'billing-hub',
      owner: 'billing team',
      storage: { variable: 'BILLING_HUB_API_KEY', store: expect.any(String) },
      readBy: ['worker'],
      runbook: 'docs/credentials/api-key.md',
      rotation: expect.stringContaining('second key'),
    });
  });

  test('kinds and scopes: webhook secrets by source, secret URLs and connector secrets by system, the rest general', () => {
    const byName = new Map(dev().credentials.declared.map((c) => [c.name, c]));
    expect(byName.get('SHOP_WEBHOOK_SECRET')).toMatchObject({ kind: 'webhook-secret', scope: 'source', of: 'shop' });
    expect(byName.get('ALERTS_WEBHOOK_URL')).toMatchObject({ kind: 'secret-url', scope: 'system', of: 'alerts' });
    expect(byName.get('EMAIL_PLATFORM_SMTP_URL')).toMatchObject({
      kind: 'smtp-relay',
      scope: 'system',
      of: 'email-platform',
      runbook: 'docs/credentials/smtp-relay.md',
    });
    expect(byName.get('PAYLOAD_KEYS')).toMatchObject({ kind: 'payload-key', scope: 'general', owner: 'platform team' });
    expect(byName.get('ADMIN_TOKEN')).toMatchObject({ kind: 'admin-token', owner: 'operations team' });
    expect(byName.get('API_CLIENTS')).toMatchObject({
      kind: 'api-clients',
      runbook: 'docs/credentials/api-clients.md',
    });
  });

  test('every general secret has its entry in the one table of general credentials', () => {
    const general = dev().credentials.declared.filter((c) => c.scope === 'general');
    expect(general.length).toBeGreaterThan(0);
    for (const c of general) expect({ [c.name]: GENERAL_CREDENTIALS[c.name] }).toEqual({ [c.name]: expect.anything() });
  });

  test('every kind has its runbook page, and each page says who owns it, where it lives and how to verify', () => {
    const root = path.join(__dirname, '..', '..');
    for (const runbook of new Set(Object.values(CREDENTIAL_KINDS))) {
      const page = fs.readFileSync(path.join(root, runbook), 'utf8');
      expect({
        runbook,
        owner: /\*\*Owner:\*\*/.test(page),
        lives: /\*\*Where it lives:|\*\*Where they live:/.test(page),
      }).toEqual({
        runbook,
        owner: true,
        lives: true,
      });
    }
  });

  test('owners are teams or roles: a person-like owner is refused at startup', () => {
    for (const ok of ['integrations team', 'payments on-call', 'finance operators', 'platform team']) {
      expect({ ok, problem: ownerProblem(ok) }).toEqual({ ok, problem: undefined });
    }
    for (const bad of ['Jane Doe', 'jdoe', 'jane.doe@example.com', 'jane doe', 'Integrations Team']) {
      expect({ bad, problem: ownerProblem(bad) }).toEqual({ bad, problem: expect.stringContaining("person's name") });
    }
    const systems = [...SYSTEMS, { ...billingHub, owner: 'Jane Doe' }] as Systems;
    const error = (() => {
      try {
        loadConfig({ NODE_ENV: 'development' }, 'all', { systems });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/owner of BILLING_HUB_API_KEY \("Jane Doe"\) must/);
  });
});

describe('CREDENTIAL_DATES', () => {
  test('an unknown variable, a bad date, an impossible date and an inverted range each stop startup', () => {
    expect(messageOf(() => dev({ CREDENTIAL_DATES: '{"SHOP_API_URL":{"expires":"2027-01-01"}}' }))).toMatch(
      /CREDENTIAL_DATES names SHOP_API_URL, which is not a secret variable/,
    );
    expect(messageOf(() => dev({ CREDENTIAL_DATES: '{"CRM_API_KEY":{"expires":"31.01.2027"}}' }))).toMatch(
      /CREDENTIAL_DATES\.CRM_API_KEY\.expires: must be a date, YYYY-MM-DD/,
    );
    expect(messageOf(() => dev({ CREDENTIAL_DATES: '{"CRM_API_KEY":{"expires":"2027-02-30"}}' }))).toMatch(
      /not a calendar date/,
    );
    expect(
      messageOf(() => dev({ CREDENTIAL_DATES: '{"CRM_API_KEY":{"issued":"2027-02-01","expires":"2027-01-01"}}' })),
    ).toMatch(/issued after it expires/);
    expect(messageOf(() => dev({ CREDENTIAL_DATES: '{"CRM_API_KEY":' }))).toMatch(/CREDENTIAL_DATES: must be JSON/);
    expect(messageOf(() => dev({ CREDENTIAL_DATES: '{"CRM_API_KEY":{"expire":"2027-01-01"}}' }))).toMatch(
      /CREDENTIAL_DATES\.CRM_API_KEY/,
    );
  });

  test('valid dates reach the registry', () => {
    const config = dev({ CREDENTIAL_DATES: '{"CRM_API_KEY":{"issued":"2026-01-01","expires":"2027-01-01"}}' });
    expect(config.credentials.dates).toEqual({ CRM_API_KEY: { issued: '2026-01-01', expires: '2027-01-01' } });
  });
});

describe('credential states', () => {
  const withDates = (dates: Record<string, { expires: string }>, extra: Record<string, string> = {}) =>
    loadConfig(production({ CREDENTIAL_DATES: JSON.stringify(dates), ...extra }));

  test('expiring within CREDENTIAL_EXPIRY_WARNING_DAYS, valid outside it, expired from its day on', () => {
    expect(stateOf(withDates({ CRM_API_KEY: { expires: '2026-12-10' } }), 'CRM_API_KEY')).toMatchObject({
      state: 'expiring',
      expires: '2026-12-10',
      daysLeft: 6,
    });
    expect(stateOf(withDates({ CRM_API_KEY: { expires: '2026-12-18' } }), 'CRM_API_KEY').state).toBe('valid');
    expect(stateOf(withDates({ CRM_API_KEY: { expires: '2026-12-17' } }), 'CRM_API_KEY').state).toBe('expiring');
    expect(stateOf(withDates({ CRM_API_KEY: { expires: '2026-12-03' } }), 'CRM_API_KEY').state).toBe('expired');
    expect(stateOf(withDates({ CRM_API_KEY: { expires: '2026-12-04' } }), 'CRM_API_KEY').state).toBe('expiring');
    const narrow = withDates({ CRM_API_KEY: { expires: '2026-12-10' } }, { CREDENTIAL_EXPIRY_WARNING_DAYS: '5' });
    expect(stateOf(narrow, 'CRM_API_KEY').state).toBe('valid');
    expect(stateOf(withDates({}), 'CRM_API_KEY')).toMatchObject({ state: 'valid', detail: /no expiry date/ });
  });

  test('development values are said loudly, set or derived', () => {
    const config = dev();
    expect(stateOf(config, 'SHOP_WEBHOOK_SECRET')).toMatchObject({
      state: 'development',
      detail: expect.stringContaining('PUBLIC DEVELOPMENT VALUE'),
    });
    expect(stateOf(config, 'CODEC_TOKEN').state).toBe('development');
    // Set by hand to the development value in a dev environment, among real ones: still development.
    const shop = config.sources.shop.secrets[0]!;
    const copied = dev({ SHOP_WEBHOOK_SECRET: `${PRODUCTION_WEBHOOK_SECRETS.SHOP_WEBHOOK_SECRET} ${shop}` });
    expect(stateOf(copied, 'SHOP_WEBHOOK_SECRET').state).toBe('development');
    expect(stateOf(dev(PRODUCTION_WEBHOOK_SECRETS), 'SHOP_WEBHOOK_SECRET').state).toBe('valid');
  });

  test('unused: a connector not selected, the API disabled, encryption off, an optional token unset', () => {
    const config = loadConfig(production({ API_ENABLED: 'false', ADMIN_TOKEN: '', PAYLOAD_ENCRYPTION: 'off' }));
    for (const name of ['EMAIL_PLATFORM_SMTP_URL', 'API_CLIENTS', 'ADMIN_TOKEN', 'PAYLOAD_KEYS', 'TEMPORAL_API_KEY']) {
      expect({ name, state: stateOf(config, name).state }).toEqual({ name, state: 'unused' });
    }
    expect(stateOf(config, 'API_CLIENTS').detail).toMatch(/API_ENABLED=false/);
    const smtp = loadConfig(
      production({
        EMAIL_PLATFORM_CONNECTOR: 'smtp',
        EMAIL_PLATFORM_SMTP_URL: 'smtp://u:p@relay.example.com:587',
        EMAIL_PLATFORM_SMTP_FROM: 'shop@example.com',
      }),
    );
    expect(stateOf(smtp, 'EMAIL_PLATFORM_SMTP_URL').state).toBe('valid');
  });

  test('in production, a process that does not read a credential judges it by its dates alone, and says so', () => {
    const worker = loadConfig(
      {
        ...production(),
        SHOP_WEBHOOK_SECRET: '',
        CREDENTIAL_DATES: '{"SHOP_WEBHOOK_SECRET":{"expires":"2026-12-05"}}',
      },
      'worker',
    );
    expect(stateOf(worker, 'SHOP_WEBHOOK_SECRET')).toMatchObject({
      state: 'expiring',
      detail: expect.stringContaining('not read by this worker process'),
    });
  });

  test('a state source adds its own credentials and reports them broken or dated; one that fails breaks only its own', async () => {
    const connection: DeclaredCredential = {
      name: 'crm-oauth',
      kind: 'oauth-connection',
      scope: 'connection',
      of: 'crm',
      owner: 'sales operations team',
      storage: { store: 'the connection store' },
      readBy: ['worker'],
      runbook: 'docs/credentials/oauth-connection.md',
      rotation: 're-authorise',
    };
    const working: CredentialStateSource = {
      name: 'oauth',
      declared: () => [connection],
      report: async () => [
        { name: 'crm-oauth', broken: 'invalid_grant\nrefresh token revoked' },
        { name: 'CRM_API_KEY', expires: '2026-12-01' },
      ],
    };
    const config = loadConfig(production());
    const states = await checkCredentials(config.credentials, [working], NOW);
    expect(states.find((s) => s.name === 'crm-oauth')).toMatchObject({
      state: 'broken',
      detail: 'reported broken by oauth: invalid_grant refresh token revoked',
    });
    expect(states.find((s) => s.name === 'CRM_API_KEY')?.state).toBe('expired');

    const failing: CredentialStateSource = {
      ...working,
      report: () => Promise.reject(new TypeError('token sk_live_123 leaked')),
    };
    const after = await checkCredentials(config.credentials, [failing], NOW);
    expect(after.find((s) => s.name === 'crm-oauth')).toMatchObject({
      state: 'broken',
      detail: /failed to report \(TypeError\)/,
    });
    expect(after.find((s) => s.name === 'CRM_API_KEY')?.state).toBe('valid');
    expect(JSON.stringify(after)).not.toContain('sk_live');
  });
});

describe('no value is ever shown', () => {
  // Hostile values: markup, newlines, JSON, shell and a value that looks like a date or a state.
  const hostile = {
    ADMIN_TOKEN: '"},{"state":"valid"}\n<script>alert(1)</script>',
    CODEC_TOKEN: "$(rm -rf /); echo 'expired' 2099-07-31",
    CRM_API_KEY: 'valid\r\nexpires: 2099-01-01 \u0000\u001b[31m',
    SHOP_WEBHOOK_SECRET: `${PRODUCTION_WEBHOOK_SECRETS.SHOP_WEBHOOK_SECRET} whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`,
    EMAIL_PLATFORM_CONNECTOR: 'smtp',
    EMAIL_PLATFORM_SMTP_URL: 'smtp://integrations:hunter2-Pa55word@mx-7.example.net:587',
    EMAIL_PLATFORM_SMTP_FROM: 'shop@example.com',
  };
  const fragments = (v: string) => Array.from({ length: Math.max(0, v.length - 5) }, (_, i) => v.slice(i, i + 6));
  // Every string and number in the states, joined: what any surface could print.
  const leaves = (x: unknown): string[] =>
    typeof x === 'string' || typeof x === 'number'
      ? [String(x)]
      : x && typeof x === 'object'
        ? Object.values(x).flatMap(leaves)
        : [];

  test('neither a value, nor a part of one, nor its length appears in any state', () => {
    // Development: production would refuse some of these as weak before any state is computed.
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      ...PRODUCTION_DOWNSTREAM,
      ...hostile,
      CREDENTIAL_DATES: JSON.stringify({ CRM_API_KEY: { expires: '2026-12-10' } }),
    };
    const states = credentialStatuses(loadConfig(env).credentials, { now: NOW });
    const shown = leaves(states).join('\u0001');
    const numbers = leaves(states.map((s) => s.daysLeft ?? 0)).map(Number);
    const secretValues = Object.entries(env)
      .filter(([name]) => variableDocs().some((d) => d.secret && d.name === name))
      .map(([, value]) => value);
    expect(secretValues.length).toBeGreaterThanOrEqual(9);
    for (const value of secretValues) {
      // Fragments shared with the words of the output ("team", "docs") say nothing about the value: skip those.
      const leaked = fragments(value).filter((f) => /[^a-z -]/.test(f) && shown.includes(f));
      expect({ value: value.slice(0, 0), leaked }).toEqual({ value: '', leaked: [] });
    }
    // No length: the only number is daysLeft, and it is 6 for the one dated credential.
    expect([...new Set(numbers)].sort()).toEqual([0, 6]);
    const keys = new Set(states.flatMap((s) => Object.keys(s)));
    expect([...keys].sort()).toEqual(
      [
        'daysLeft',
        'detail',
        'expires',
        'kind',
        'name',
        'of',
        'owner',
        'readBy',
        'rotation',
        'runbook',
        'scope',
        'state',
        'storage',
      ].sort(),
    );
  });
});
