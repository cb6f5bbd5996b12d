import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import { adminRouter } from '../../src/api/admin';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { closeServer, listenOnFreePort } from '../helpers/stack';
import { PRODUCTION_DOWNSTREAM, PRODUCTION_WEBHOOK_SECRETS, strongToken } from '../config/fixtures';

// GET /admin/credentials: behind the admin token and audited like every admin call, and never a value in its answer
// or its audit lines. It needs no Temporal server: the client below is never connected.

const ADMIN_TOKEN = 'adm_0123456789abcdef0123';
const SMTP_URL = 'smtp://integrations:hunter2-Pa55word@mx-7.example.net:587';

async function app(env: Record<string, string>) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const config = loadConfig({ NODE_ENV: 'development', ADMIN_TOKEN, ...env }, 'api');
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const router = adminRouter({ config, logger: createLogger({ level: 'info' }, sink as never), client })!;
  const served = express().use('/admin', router);
  const { server, url } = await listenOnFreePort(served);
  return { url, lines, close: () => closeServer(server) };
}

describe('GET /admin/credentials', () => {
  const env = {
    ...PRODUCTION_WEBHOOK_SECRETS,
    ...PRODUCTION_DOWNSTREAM,
    CODEC_TOKEN: strongToken('codec-token'),
    EMAIL_PLATFORM_CONNECTOR: 'smtp',
    EMAIL_PLATFORM_SMTP_URL: SMTP_URL,
    EMAIL_PLATFORM_SMTP_FROM: 'shop@example.com',
    CREDENTIAL_DATES: JSON.stringify({
      SHOP_WEBHOOK_SECRET: { issued: '2025-12-01', expires: '2026-01-01' },
      CODEC_TOKEN: { expires: '2999-01-01' },
    }),
  };
  let served: Awaited<ReturnType<typeof app>>;
  beforeAll(async () => {
    served = await app(env);
  });
  afterAll(() => served.close());

  test('without the admin token it answers 401 and says nothing of the credentials', async () => {
    const res = await fetch(`${served.url}/admin/credentials`);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('SHOP_WEBHOOK_SECRET');
  });

  test('with it, every credential with its state, owner and runbook; audited as `credentials`; no value anywhere', async () => {
    const res = await fetch(`${served.url}/admin/credentials`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { credentials: Array<Record<string, unknown>> };
    const byName = new Map(body.credentials.map((c) => [c.name, c]));
    expect(byName.get('SHOP_WEBHOOK_SECRET')).toMatchObject({
      state: 'expired',
      owner: 'integrations team',
      issued: '2025-12-01',
      runbook: 'docs/credentials/webhook-secret.md',
    });
    expect(byName.get('CODEC_TOKEN')).toMatchObject({ state: 'valid', expires: '2999-01-01' });
    // The API process does not read the SMTP relay; the development API key is said to be one.
    expect(byName.get('EMAIL_PLATFORM_SMTP_URL')).toMatchObject({ kind: 'smtp-relay' });
    expect(byName.get('API_CLIENTS')).toMatchObject({ state: 'development' });
    const outcome = served.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.msg === 'admin outcome' && r.action === 'credentials')
      .at(-1);
    expect(outcome).toMatchObject({ actor: 'admin', result: { expired: 1 } });
    for (const value of [
      SMTP_URL,
      ADMIN_TOKEN,
      env.CODEC_TOKEN,
      ...Object.values(PRODUCTION_WEBHOOK_SECRETS),
      PRODUCTION_DOWNSTREAM.CRM_API_KEY,
    ]) {
      for (const part of [value, value.slice(0, 8), value.slice(-8)]) {
        expect(text).not.toContain(part);
        expect(served.lines.join('')).not.toContain(part);
      }
    }
  });
});
