import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { type Stack, startStack } from '../../src/dev/stack';
import { type DevServer, freePort, startDevServer } from '../../src/dev/temporal-dev-server';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { uniqueId } from '../helpers/stack';
import { chromiumPath } from '../../src/dev/provision-tools';

// The local developer's path: the dev server's Web UI, wired to the codec server as `npm start` wires it, shows the
// decrypted customer email in the execution's input, though Temporal only holds ciphertext. A dev server of its own,
// because --ui-codec-endpoint is fixed when the server starts.

const ARTIFACTS = path.resolve(__dirname, '../artifacts');
// Provisioned by `npm test` (scripts/provision-tools): Debian's package, or CHROMIUM_PATH.
const CHROMIUM =
  chromiumPath() ?? '/usr/bin/chromium (not found: run `node scripts/provision-tools`, or set CHROMIUM_PATH)';

describe('the Temporal Web UI decrypts through the codec server', () => {
  let server: DevServer;
  let stack: Stack;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const codecCalls: string[] = [];

  beforeAll(async () => {
    // The Web UI's port and the codec endpoint it is given must be chosen before either listens, so another test's
    // listener can take one in between: then both are chosen again (up to 3 times).
    for (let attempt = 1; ; attempt++) {
      try {
        await startServers();
        break;
      } catch (err) {
        await stack?.stop().catch(() => undefined);
        await server?.stop().catch(() => undefined);
        if (attempt >= 3 || !/address already in use|EADDRINUSE/.test(String((err as Error).message))) throw err;
      }
    }
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('response', (r) => {
      if (r.url().includes('/codec/') && r.request().method() === 'POST') codecCalls.push(`${r.status()}`);
    });
  }, 120_000);
  async function startServers(): Promise<void> {
    const operatorPort = await freePort();
    const uiPort = await freePort();
    const devToken = loadConfig({ NODE_ENV: 'test' }).codec!.token;
    server = await startDevServer({
      cliPath: process.env.TEMPORAL_CLI_PATH!,
      port: 0,
      uiPort,
      codecEndpoint: `http://127.0.0.1:${operatorPort}/codec/${devToken}`,
    });
    stack = await startStack({
      address: server.address,
      operatorPort,
      workflowBundlePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE,
      env: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', TEMPORAL_UI_URL: server.uiUrl! },
    });
  }
  afterAll(async () => {
    await browser?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await stack?.stop();
    await server?.stop();
  });

  test("the execution's input shows the customer's email, decrypted by the codec server", async () => {
    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const email = `${uniqueId('ui-')}@example.com`;
    const body = orderPaidBody(eventId, orderId, {
      order: { id: orderId, total: 99.5, currency: 'PLN', customer_email: email },
    });
    const res = await post(
      `${stack.apiUrl}/webhooks/shop`,
      signShop(stack.config.sources.shop.secrets[0]!, eventId, body),
    );
    expect(res.status).toBe(202);
    const workflowId = `${stack.config.temporal.taskQueuePrefix}shop:${eventId}`;
    await stack.client.workflow.getHandle(workflowId).result();

    try {
      await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
      await page.getByText(email).first().waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.getByText(email).count()).toBeGreaterThan(0);
      expect(codecCalls).toContain('200');
    } catch (err) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `codec-web-ui-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\nscreenshot: ${file}\nat ${page.url()}\ncodec calls: ${codecCalls.join(',')}`,
        { cause: err },
      );
    }
  }, 120_000);
});
