// Latency of /api/v1 commands against the same workflow started from a Temporal client directly: POST
// /api/v1/orders/{orderId}/invoice (a new Idempotency-Key each) next to a raw executeUpdateWithStart and a raw
// workflow.execute of invoiceOrder, at 1 and at 10 concurrent callers. Prints p50/p95/p99 and the API/raw ratios.
// Not a test: figures depend on the machine. Starts a stack on TEMPORAL_ADDRESS or on a dev server of its own.
//   npx tsx scripts/bench-api.ts [requests per run=100]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { commandResultUpdate } from '../src/contracts/commands';
import { queueFor } from '../src/contracts/task-queues';
import { provisionTemporal } from '../src/dev/provision-temporal.js';
import { startStack, uniqueId } from '../src/dev/stack';
import { type DevServer, startDevServer } from '../src/dev/temporal-dev-server';

const KEY = `bench-key-${uniqueId()}-0123456789`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs `one` `total` times, `concurrency` at a time; returns the sorted latencies in ms. */
async function measure(total: number, concurrency: number, one: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [requests = 100] = process.argv.slice(2).map(Number);
  let devServer: DevServer | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-api-'));
  if (!process.env.TEMPORAL_ADDRESS) {
    const { cli } = await provisionTemporal({ quiet: true, cliOnly: true });
    if (cli.type !== 'existing-path') throw new Error('no Temporal CLI; run `node scripts/provision-temporal`');
    devServer = await startDevServer({ cliPath: cli.path, port: 0, logFile: path.join(dir, 'temporal.log') });
  }
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../src/workflows') });
  const workflowBundlePath = path.join(dir, 'bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);
  const stack = await startStack({
    address: process.env.TEMPORAL_ADDRESS ?? devServer!.address,
    workflowBundlePath,
    env: {
      ACCOUNTING_RATE_LIMIT_PER_SECOND: '1000',
      EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '1000',
      API_CLIENTS: JSON.stringify([{ name: 'bench', key: KEY, scopes: ['orders:write'], ratePerSecond: 10_000 }]),
      API_SYNC_WAIT_MS: '30000',
    },
  });
  const taskQueue = queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration');
  const order = () => ({ id: uniqueId('ORD-'), total: 10, currency: 'PLN', customerEmail: 'bench@example.com' });
  const body = { total: 10, currency: 'PLN', customerEmail: 'bench@example.com' };

  const viaApi = async () => {
    const res = await fetch(`${stack.apiUrl}/api/v1/orders/${uniqueId('ORD-')}/invoice`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'idempotency-key': uniqueId('k-'),
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`API answered ${res.status}`);
  };
  const rawUpdateWithStart = async () => {
    const input = { client: 'bench', bodyHash: uniqueId('h'), order: order() };
    await stack.client.workflow.executeUpdateWithStart(commandResultUpdate, {
      args: [input.bodyHash],
      startWorkflowOperation: new WithStartWorkflowOperation('invoiceOrder', {
        workflowId: `raw-uws:${uniqueId()}`,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  };
  const rawExecute = async () => {
    const input = { client: 'bench', bodyHash: uniqueId('h'), order: order() };
    await stack.client.workflow.execute('invoiceOrder', {
      workflowId: `raw-exec:${uniqueId()}`,
      taskQueue,
      args: [input],
    });
  };

  try {
    // A warm-up, so the first figures do not include the workers' first workflow tasks.
    await measure(10, 5, viaApi);
    await measure(10, 5, rawUpdateWithStart);
    const lines: string[] = [
      `${requests} commands per run; machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), shared`,
    ];
    const ms = (v: number) => `${v.toFixed(1)}`;
    for (const concurrency of [1, 10]) {
      const api = await measure(requests, concurrency, viaApi);
      const uws = await measure(requests, concurrency, rawUpdateWithStart);
      const exec = await measure(requests, concurrency, rawExecute);
      const row = (name: string, l: number[]) =>
        `  ${name.padEnd(34)} p50 ${ms(percentile(l, 50))}  p95 ${ms(percentile(l, 95))}  p99 ${ms(percentile(l, 99))} ms`;
      lines.push(
        `concurrency ${concurrency}:`,
        row('POST /api/v1/.../invoice', api),
        row('raw executeUpdateWithStart', uws),
        row('raw workflow.execute', exec),
        `  ratio API / raw update-with-start: p50 ${(percentile(api, 50) / percentile(uws, 50)).toFixed(2)}, ` +
          `p99 ${(percentile(api, 99) / percentile(uws, 99)).toFixed(2)}; API / raw execute: p50 ` +
          `${(percentile(api, 50) / percentile(exec, 50)).toFixed(2)}, p99 ${(percentile(api, 99) / percentile(exec, 99)).toFixed(2)}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stack.stop();
    await devServer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
