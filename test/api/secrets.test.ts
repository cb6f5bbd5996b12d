import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { developmentApiKey, loadConfig } from '../../src/config';
import { TemporalUnavailableError, type WorkflowStarter } from '../../src/api/workflow-starter';
import { orderPaidBody, signShop } from '../helpers/signing';
import { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from '../sources/senders';
import { type InProcessApi, rawHeaders, startInProcessApi } from './in-process';
import { entryArgs } from '../setup/prebuild';

// Secrets stay secret: not in logs, answers or metrics, whatever the delivery; and production never starts a
// source without one.

const secrets = {
  SHOP_WEBHOOK_SECRET: [`whsec_${randomBytes(24).toString('base64')}`, `whsec_${randomBytes(24).toString('base64')}`],
  SHOPIFY_WEBHOOK_SECRET: [`shpss_${randomBytes(16).toString('hex')}`],
  STRIPE_WEBHOOK_SECRET: [`whsec_${randomBytes(16).toString('hex')}`],
};

/** Every 12-character window of every secret, and of the key bytes a whsec_ secret encodes. */
function secretFragments(): string[] {
  const texts = Object.values(secrets).flatMap((list) =>
    list.flatMap((s) => [s, s.replace(/^whsec_/, ''), Buffer.from(s.replace(/^whsec_/, ''), 'base64').toString('hex')]),
  );
  return texts.flatMap((t) => Array.from({ length: t.length - 11 }, (_, i) => t.slice(i, i + 12)));
}

describe('secrets', () => {
  let api: InProcessApi;
  let failNext = false;
  const starter: WorkflowStarter = {
    async start(req) {
      if (failNext) {
        failNext = false;
        throw new TemporalUnavailableError(new Error('14 UNAVAILABLE: No connection established'));
      }
      return { status: 'accepted', workflowId: req.workflowId, runId: 'run-1' };
    },
    ready: async () => true,
  };

  beforeAll(async () => {
    api = await startInProcessApi(
      { LOG_LEVEL: 'debug', ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, v.join(' ')])) },
      { starter },
    );
  });
  afterAll(() => api.stop());

  test('when deliveries of every kind arrive, no secret appears in logs, answers or metrics', async () => {
    const shop = secrets.SHOP_WEBHOOK_SECRET[1]!;
    const shopify = secrets.SHOPIFY_WEBHOOK_SECRET[0]!;
    const stripe = secrets.STRIPE_WEBHOOK_SECRET[0]!;
    const stranger = `whsec_${randomBytes(24).toString('base64')}`;
    const requests = [
      { source: 'shop', ...signShop(shop, 'evt_s1', orderPaidBody('evt_s1', 'ORD-1')) },
      { source: 'shop', ...signShop(stranger, 'evt_s2', orderPaidBody('evt_s2', 'ORD-2')) },
      { source: 'shop', ...signShop(shop, 'evt_s3', '{"event":"order.paid"}') },
      { source: 'shop', ...signShop(shop, 'evt_s4', '{not json') },
      { source: 'shop', ...signShop(shop, 'evt_s5', orderPaidBody('evt_s5', 'ORD-5'), new Date(Date.now() - 3600e3)) },
      { source: 'shopify', ...signShopify(shopify, 'wh-1', shopifyOrderPaidBody('ORD-6'), { apiVersion: '2099-01' }) },
      { source: 'shopify', ...signShopify('shpss_wrong_secret', 'wh-2', shopifyOrderPaidBody('ORD-7')) },
      { source: 'stripe', ...signStripe(stripe, stripePaymentBody('evt_t1', 'ORD-8')) },
      { source: 'stripe', ...signStripe(stripe, stripePaymentBody('evt_t2', 'ORD-9', { apiVersion: '1999-01-01' })) },
      { source: 'stripe', ...signStripe(stripe, 'x'.repeat(api.config.http.maxBodyBytes + 1)) },
    ];
    const answers: string[] = [];
    for (const r of requests) {
      const a = await api.send({ path: `/webhooks/${r.source}`, headers: rawHeaders(r.headers), body: r.body });
      answers.push(`${a.status} ${JSON.stringify(a.headers)} ${a.body}`);
    }
    const body = stripePaymentBody('evt_t4', 'ORD-11');
    failNext = true;
    const down = await api.send({
      path: '/webhooks/stripe',
      headers: rawHeaders(signStripe(stripe, body).headers),
      body,
    });
    expect(down.status).toBe(503);
    answers.push(down.body);
    const metrics = await (await fetch(`${api.operatorUrl}/metrics`)).text();

    // The material looked through is real: statuses of every kind, and log lines about them.
    expect(answers.map((a) => a.slice(0, 3))).toEqual(expect.arrayContaining(['202', '401', '400', '413']));
    expect(api.logLines.join('')).toContain('could not start workflow');
    expect(api.logLines.join('')).toContain('webhook API version not declared');
    const haystack = [...api.logLines, ...answers, metrics].join('\n');
    const leaked = secretFragments().filter((f) => haystack.includes(f));
    expect(leaked).toEqual([]);
  });
});

/** The API entry point as production runs it, with `env`: its exit code and everything it printed. */
async function startApi(env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, entryArgs('src/api/main.ts'), {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: '0', ...env },
  });
  let output = '';
  const read = (c: Buffer) => {
    output += c.toString();
    // A process that started when it should have refused is stopped, so the test fails at once rather than hangs.
    if (output.includes('api listening')) child.kill('SIGKILL');
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output };
}

describe('production startup', () => {
  test('with the development values set explicitly, the API refuses to start, naming each, printing none', async () => {
    const dev = loadConfig({ NODE_ENV: 'development' }, 'api');
    const key = dev.payloads.keys[0]!;
    const values = {
      SHOP_WEBHOOK_SECRET: dev.sources.shop.secrets[0]!,
      SHOPIFY_WEBHOOK_SECRET: dev.sources.shopify.secrets[0]!,
      STRIPE_WEBHOOK_SECRET: dev.sources.stripe.secrets[0]!,
      PAYLOAD_KEYS: `${key.id}:${key.key.toString('base64')}`,
      API_CLIENTS: JSON.stringify([{ name: 'dev', key: developmentApiKey(), scopes: ['orders:write'] }]),
      CRM_API_URL: 'https://crm.example.com',
      CRM_API_KEY: dev.systems.crm.apiKey!,
      EMAIL_PLATFORM_API_URL: 'https://email.example.com',
      EMAIL_PLATFORM_API_KEY: dev.systems['email-platform'].apiKey!,
      CODEC_TOKEN: dev.codec!.token,
    };
    const { code, output } = await startApi({ TEMPORAL_ADDRESS: '127.0.0.1:9', ...values });
    expect(code).toBe(1);
    expect(output).not.toContain('api listening');
    for (const name of Object.keys(values).filter((n) => !n.endsWith('_URL'))) {
      expect(output).toMatch(new RegExp(`${name}( [^\\n]*)? is a public development value`));
    }
    const printed = Object.values(values)
      .filter((v) => !v.startsWith('https://'))
      .flatMap((v) => v.match(/[A-Za-z0-9+/=_-]{12,}/g) ?? [])
      .flatMap((t) => Array.from({ length: t.length - 11 }, (_, i) => t.slice(i, i + 12)))
      .filter((f) => output.includes(f));
    expect(printed).toEqual([]);
  });

  test('when a source has no secret, the API refuses to start and names the variable, without printing secrets', async () => {
    const { code, output } = await startApi({
      TEMPORAL_ADDRESS: '127.0.0.1:9',
      SHOP_WEBHOOK_SECRET: secrets.SHOP_WEBHOOK_SECRET.join(' '),
      SHOPIFY_WEBHOOK_SECRET: secrets.SHOPIFY_WEBHOOK_SECRET.join(' '),
      STRIPE_WEBHOOK_SECRET: ' ',
    });
    expect(code).toBe(1);
    expect(output).toContain('STRIPE_WEBHOOK_SECRET is required in production');
    expect(output).not.toContain('api listening');
    const leaked = secretFragments().filter((f) => output.includes(f));
    expect(leaked).toEqual([]);
  });
});
