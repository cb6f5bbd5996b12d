import { strongToken } from '../config/fixtures';
import { runCli } from './helpers';

// `npm run ops -- credentials`: the registry with each credential's state, read from the config alone (no Temporal
// call), loud about development values, exit code 1 for an expired or broken one, and never a value.

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const CRM_API_KEY = strongToken('crm-key');
const SMTP_URL = 'smtp://integrations:hunter2-Pa55word@mx-7.example.net:587';

describe('ops credentials', () => {
  test('--json: an expiry within the warning window is expiring, one outside it valid; exit code 0', async () => {
    const run = await runCli(['--json', 'credentials'], {
      CRM_API_KEY,
      SHOP_API_KEY: strongToken('shop-key'),
      CREDENTIAL_DATES: JSON.stringify({ CRM_API_KEY: { expires: day(5) }, SHOP_API_KEY: { expires: day(40) } }),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const states = JSON.parse(run.stdout) as Array<{ name: string; state: string; owner: string; runbook: string }>;
    expect(states.find((s) => s.name === 'CRM_API_KEY')).toMatchObject({
      state: 'expiring',
      owner: 'integrations team',
      runbook: 'docs/credentials/api-key.md',
    });
    expect(states.find((s) => s.name === 'SHOP_API_KEY')?.state).toBe('valid');
    expect(run.stdout).not.toContain(CRM_API_KEY.slice(0, 8));
  }, 60_000);

  test('the table: development values said loudly, an expired key named with its owner and runbook, exit code 1, no value', async () => {
    const run = await runCli(['credentials'], {
      CRM_API_KEY,
      EMAIL_PLATFORM_CONNECTOR: 'smtp',
      EMAIL_PLATFORM_SMTP_URL: SMTP_URL,
      EMAIL_PLATFORM_SMTP_FROM: 'shop@example.com',
      CREDENTIAL_DATES: JSON.stringify({ CRM_API_KEY: { expires: day(-1) } }),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^CRM_API_KEY +EXPIRED +api-key +crm +integrations team /m);
    expect(run.stdout).toContain('EXPIRED: CRM_API_KEY (owner: integrations team): see docs/credentials/api-key.md');
    expect(run.stdout).toMatch(/^SHOP_WEBHOOK_SECRET +DEVELOPMENT /m);
    expect(run.stdout).toMatch(/WARNING: \d+ credential\(s\) run on PUBLIC DEVELOPMENT VALUES/);
    expect(run.stdout).toMatch(/^EMAIL_PLATFORM_SMTP_URL +valid +smtp-relay /m);
    for (const part of [CRM_API_KEY, CRM_API_KEY.slice(0, 6), 'hunter2', 'mx-7.example']) {
      expect(run.stdout + run.stderr).not.toContain(part);
    }
  }, 60_000);

  test('an OAuth connection is listed from its workflow; with Temporal out of reach it is broken with the reason, the rest still shown', async () => {
    const run = await runCli(['--json', 'credentials'], {
      ACCOUNTING_CONNECTOR: 'xero',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(run.code).toBe(1);
    const states = JSON.parse(run.stdout) as Array<{ name: string; state: string; detail: string; storage: object }>;
    expect(states.find((s) => s.name === 'connection:accounting')).toMatchObject({
      state: 'broken',
      detail: expect.stringMatching(/connection workflows: its state source failed to report/),
      storage: { store: expect.stringMatching(/connection:accounting, encrypted by the payload codec/) },
    });
    expect(states.find((s) => s.name === 'SHOP_WEBHOOK_SECRET')?.state).toBe('development');
  }, 60_000);

  test('a CREDENTIAL_DATES entry for no credential stops it with the name, as it stops the services', async () => {
    const run = await runCli(['credentials'], { CREDENTIAL_DATES: '{"CRM_API_URL":{"expires":"2030-01-01"}}' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('CREDENTIAL_DATES names CRM_API_URL, which is not a secret variable');
  }, 60_000);
});
