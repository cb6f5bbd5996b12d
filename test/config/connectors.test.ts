import { ConfigError, loadConfig } from '../../src/config';
import { withConnector } from '../../src/worker/workers';
import { emailPlatform } from '../../src/systems/email-platform/system';
import type { DownstreamClient } from '../../src/kit/http';
import type { SystemDeclaration } from '../../src/kit/declare';

// <PREFIX>_CONNECTOR chooses how the worker reaches a system; a connector's variables are needed only when it is
// the one chosen, and then in every environment, since there is nothing to default a relay to.
const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig({ NODE_ENV: 'development', ...env }, 'worker');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('connectors', () => {
  test('unset, a system is reached through its API, and no connector variable is read', () => {
    const config = loadConfig({ NODE_ENV: 'development', EMAIL_PLATFORM_SMTP_URL: 'not a url' }, 'worker');
    expect(config.systems['email-platform'].connector).toEqual({ name: 'api', settings: {} });
  });

  test('an unknown connector is refused, naming the ones there are', () => {
    expect(problemsOf({ EMAIL_PLATFORM_CONNECTOR: 'sendgrid' })).toEqual([
      'EMAIL_PLATFORM_CONNECTOR must be one of api, smtp',
    ]);
  });

  test('a chosen connector’s missing and malformed variables are each named, the secret never echoed', () => {
    const problems = problemsOf({
      EMAIL_PLATFORM_CONNECTOR: 'smtp',
      EMAIL_PLATFORM_SMTP_FROM: 'billing',
      EMAIL_PLATFORM_SMTP_MESSAGE_LOG: 'mailpit',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'EMAIL_PLATFORM_SMTP_URL is required with EMAIL_PLATFORM_CONNECTOR=smtp (a secret)',
        expect.stringMatching(/^EMAIL_PLATFORM_SMTP_FROM must be an address/),
      ]),
    );
    expect(problemsOf({ EMAIL_PLATFORM_CONNECTOR: 'smtp', EMAIL_PLATFORM_SMTP_URL: 'http://pw-hunter2@x' })).toEqual(
      expect.arrayContaining(['EMAIL_PLATFORM_SMTP_URL must be an smtp:// or smtps:// URL']),
    );
    expect(
      JSON.stringify(problemsOf({ EMAIL_PLATFORM_CONNECTOR: 'smtp', EMAIL_PLATFORM_SMTP_URL: 'hunter2' })),
    ).not.toContain('hunter2');
  });

  test('settings that need each other are checked at startup', () => {
    expect(
      problemsOf({
        EMAIL_PLATFORM_CONNECTOR: 'smtp',
        EMAIL_PLATFORM_SMTP_URL: 'smtp://127.0.0.1:1025',
        EMAIL_PLATFORM_SMTP_FROM: 'Shop <billing@shop.example>',
        EMAIL_PLATFORM_SMTP_MESSAGE_LOG: 'mailpit',
      }),
    ).toEqual([
      'EMAIL_PLATFORM_CONNECTOR=smtp: EMAIL_PLATFORM_SMTP_MESSAGE_LOG=mailpit needs EMAIL_PLATFORM_SMTP_MESSAGE_LOG_URL',
    ]);
  });

  test('the worker serves the connector’s activities in place of the API’s, and the API’s others as they are', () => {
    const config = loadConfig(
      {
        NODE_ENV: 'development',
        EMAIL_PLATFORM_CONNECTOR: 'smtp',
        EMAIL_PLATFORM_SMTP_URL: 'smtp://127.0.0.1:1025',
        EMAIL_PLATFORM_SMTP_FROM: 'Shop <billing@shop.example>',
      },
      'worker',
    );
    const { connector } = config.systems['email-platform'];
    expect(connector).toEqual({
      name: 'smtp',
      settings: expect.objectContaining({ URL: 'smtp://127.0.0.1:1025', MESSAGE_LOG: 'none' }),
    });
    const deps = { client: {} as DownstreamClient, temporalUiUrl: 'http://ui', namespace: 'default' };
    const system = emailPlatform as unknown as SystemDeclaration;
    const api = system.activities(deps);
    const served = withConnector(system, connector, deps);
    expect(Object.keys(served).sort()).toEqual(Object.keys(api).sort());
    expect(served.sendInvoiceEmail).not.toBe(api.sendInvoiceEmail);
    expect(served.sendInvoiceEmail!.toString()).toBe(
      withConnector(system, connector, deps).sendInvoiceEmail!.toString(),
    );
    expect(served.upsertEmailContacts!.toString()).toBe(api.upsertEmailContacts!.toString());
  });
});

test('outside production a connector’s URLs are its sandbox stand-in’s; in production, the vendor’s defaults', () => {
  const dev = loadConfig({ NODE_ENV: 'development', ACCOUNTING_CONNECTOR: 'xero', SANDBOX_PORT: '4555' }, 'worker');
  const settings = dev.systems.accounting.connector.settings;
  expect(settings.AUTHORIZE_URL).toBe('http://127.0.0.1:4555/accounting-xero/identity/connect/authorize');
  expect(settings.API_URL).toBe('http://127.0.0.1:4555/accounting-xero');
  expect(dev.defaultedSecrets).toContain('ACCOUNTING_XERO_CLIENT_SECRET');
  expect(
    problemsOf({ NODE_ENV: 'production', ACCOUNTING_CONNECTOR: 'xero' }).filter((p) => p.startsWith('ACCOUNTING_XERO')),
  ).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^ACCOUNTING_XERO_CLIENT_SECRET is required in production/),
      expect.stringMatching(/^ACCOUNTING_XERO_CLIENT_ID is required in production/),
    ]),
  );
});
