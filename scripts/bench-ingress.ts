// Duplicate-storm benchmark of the ingress: N distinct events, each delivered D times concurrently, P events at a
// time, against a stack it starts (sandbox, workers, API) on TEMPORAL_ADDRESS or on a dev server of its own.
// Prints deliveries/s, latency percentiles, the answer mix and the time until every flow has completed.
//   npx tsx scripts/bench-ingress.ts [events=200] [deliveries=10] [parallel=10]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { startStack, uniqueId } from '../src/dev/stack';
import { orderPaidBody, signShop } from './lib/senders';
import { type DevServer, startDevServer } from '../src/dev/temporal-dev-server';
import { provisionTemporal } from '../src/dev/provision-temporal.js';
import { FAILURE_CONVERTER_PATH } from '../src/temporal/codec';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [events = 200, deliveries = 10, parallel = 10] = process.argv.slice(2).map(Number);
  let devServer: DevServer | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  if (!process.env.TEMPORAL_ADDRESS) {
    const { cli } = await provisionTemporal({ quiet: true, cliOnly: true });
    if (cli.type !== 'existing-path') throw new Error('no Temporal CLI; run `node scripts/provision-temporal`');
    devServer = await startDevServer({ cliPath: cli.path, port: 0, logFile: path.join(dir, 'temporal.log') });
  }
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
  });
  const workflowBundlePath = path.join(dir, 'bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);

  const stack = await startStack({
    address: process.env.TEMPORAL_ADDRESS ?? devServer!.address,
    workflowBundlePath,
    env: {
      ACCOUNTING_RATE_LIMIT_PER_SECOND: '500',
      EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '500',
      // PAYLOAD_ENCRYPTION=off measures the same run without the payload codec.
      ...(process.env.PAYLOAD_ENCRYPTION ? { PAYLOAD_ENCRYPTION: process.env.PAYLOAD_ENCRYPTION } : {}),
    },
  });
  try {
    const secret = stack.config.sources.shop.secrets[0]!;
    const ids = Array.from({ length: events }, () => ({ eventId: uniqueId('evt_'), orderId: uniqueId('ORD-') }));
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < ids.length) {
          const { eventId, orderId } = ids[next++]!;
          const req = signShop(secret, eventId, orderPaidBody(eventId, orderId));
          await Promise.all(
            Array.from({ length: deliveries }, async () => {
              const t0 = performance.now();
              const res = await fetch(`${stack.apiUrl}/webhooks/shop`, { method: 'POST', ...req });
              await res.arrayBuffer();
              latencies.push(performance.now() - t0);
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            }),
          );
        }
      }),
    );
    const ingressMs = performance.now() - started;
    await Promise.all(ids.map((i) => stack.client.workflow.getHandle(`shop:${i.eventId}`).result()));
    const completeMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    const total = latencies.length;
    const ms = (v: number) => `${v.toFixed(1)} ms`;
    process.stdout.write(
      [
        `deliveries: ${total} (${events} events × ${deliveries}, ${parallel} events at a time)`,
        `throughput: ${((total / ingressMs) * 1000).toFixed(0)} deliveries/s over ${ms(ingressMs)}`,
        `latency: p50 ${ms(percentile(latencies, 50))}, p95 ${ms(percentile(latencies, 95))}, ` +
          `p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies[total - 1] ?? NaN)}`,
        `answers: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}`,
        `all ${events} flows completed after ${ms(completeMs)}; invoices ${stack.sandbox.data.accounting.invoices.length}, ` +
          `emails ${stack.sandbox.data['email-platform'].messages.length}`,
        '',
      ].join('\n'),
    );
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
