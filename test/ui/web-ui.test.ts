import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Stack, startStack } from '../helpers/stack';
import { postOrder } from '../ops/helpers';
import { chromiumPath } from '../../src/dev/provision-tools';

// The operator's path in the real Temporal Web UI, in Debian's headless Chromium: search the order's business key,
// open the execution, see the createInvoice activity in its history.

const ARTIFACTS = path.resolve(__dirname, '../artifacts');
// Provisioned by `npm test` (scripts/provision-tools): Debian's package, or CHROMIUM_PATH.
const CHROMIUM =
  chromiumPath() ?? '/usr/bin/chromium (not found: run `node scripts/provision-tools`, or set CHROMIUM_PATH)';

describe('the Temporal Web UI', () => {
  let stack: Stack;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  beforeAll(async () => {
    stack = await startStack();
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-chromium-'));
    // A fresh profile per run; Playwright takes it as the persistent context's directory.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    await stack.stop();
  });

  test('an operator finds the execution by BusinessKey, opens it and sees createInvoice in its history', async () => {
    const ui = process.env.SWITCHYARD_TEST_TEMPORAL_UI_URL;
    expect(ui).toBeDefined();
    const order = await postOrder(stack);
    const other = await postOrder(stack);
    await stack.client.workflow.getHandle(order.workflowId).result();
    await stack.client.workflow.getHandle(other.workflowId).result();

    try {
      const query = `BusinessKey="${order.orderId}"`;
      await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      // Visibility is eventually consistent: reload until the row shows.
      const row = page.getByRole('link', { name: order.workflowId });
      for (let i = 0; i < 20 && !(await row.first().isVisible()); i++) {
        await page.waitForTimeout(500);
        if (i % 4 === 3) await page.reload();
      }
      // The list is filtered: another order of the same minute is not in it.
      expect(await page.getByRole('link', { name: other.workflowId }).count()).toBe(0);
      await row.first().click();

      await page.waitForURL(new RegExp(`/workflows/${encodeURIComponent(order.workflowId)}/`), { timeout: 15_000 });
      await page.getByText('Event History').first().click();
      await page.waitForURL(/\/history/, { timeout: 15_000 });
      await page.getByText('createInvoice').first().waitFor({ state: 'visible', timeout: 15_000 });
      expect(await page.getByText('createInvoice').count()).toBeGreaterThan(0);
    } catch (err) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `web-ui-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nscreenshot: ${file}\nat ${page.url()}`, {
        cause: err,
      });
    }
  }, 90_000);
});
