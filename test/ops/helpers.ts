import { execFile } from 'node:child_process';
import path from 'node:path';
import type { OpsContext } from '../../src/ops/context';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, TEST_ADDRESS, uniqueId } from '../helpers/stack';
import { entryArgs } from '../setup/prebuild';

export function opsContext(stack: Stack): OpsContext {
  return { client: stack.client, namespace: 'default', uiUrl: stack.config.temporal.uiUrl };
}

/** The visibility clause that narrows a query to this stack's executions. */
export function ownQueue(stack: Stack): string {
  return `TaskQueue = "${stack.config.temporal.taskQueuePrefix}switchyard"`;
}

/** Posts a signed order.paid for a fresh order; resolves with its ids once the ingress accepted it. */
export async function postOrder(stack: Stack): Promise<{ orderId: string; eventId: string; workflowId: string }> {
  const eventId = uniqueId('evt_');
  const orderId = uniqueId('ORD-');
  const res = await post(
    `${stack.apiUrl}/webhooks/shop`,
    signShop(stack.config.sources.shop.secrets[0]!, eventId, orderPaidBody(eventId, orderId)),
  );
  if (res.status !== 202) throw new Error(`ingress answered ${res.status}: ${await res.text()}`);
  return { orderId, eventId, workflowId: `${stack.config.temporal.taskQueuePrefix}shop:${eventId}` };
}

/** Polls `check` until it returns a value that is not undefined (visibility is eventually consistent). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the operator CLI (`npm run ops -- <args>`, from the run's compiled src/) as an operator would, against the
 * shared dev server.
 */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const root = path.resolve(__dirname, '../..');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...entryArgs('src/ops/cli.ts'), ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          TEMPORAL_ADDRESS: TEST_ADDRESS(),
          TEMPORAL_NAMESPACE: 'default',
          TEMPORAL_UI_URL: process.env.SWITCHYARD_TEST_TEMPORAL_UI_URL ?? 'http://localhost:8233',
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
