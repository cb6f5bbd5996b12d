import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { type SearchAttributePair } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../src/config';
import { startDevServer } from '../src/dev/temporal-dev-server';
import type { OrderPaid, PaymentSucceeded } from '../src/domain/events';
import { BUSINESS_KEY, EVENT_ID, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../src/domain/search-attributes';
import { createLogger } from '../src/logger';
import { historyToJson } from '../src/ops/history-json';
import { faultsSchema, type Faults } from '../src/sandbox/core';
import { createSandbox } from '../src/sandbox/server';
import { createWorkers } from '../src/worker/workers';
import * as workflows from '../src/workflows';
import { queueFor } from '../src/workflows/task-queues';
import { provisionTemporal } from './provision-temporal.js';

// `npm run record-histories`: runs every workflow type through its scenarios on a dev server of its own and writes
// each history to test/replay/histories/<workflowType>/<scenario>.json, which `npm test` replays against the current
// code. Files it does not produce (e.g. a history kept from before a patched() change) are left alone.
//
// To cover a new workflow type, add a driver below: for each scenario, set the sandbox's faults and start the
// workflow the way its ingress or schedule would. The replay test fails for an exported type without histories.

export const SCENARIOS = ['success', 'retry', 'failure'] as const;
export type Scenario = (typeof SCENARIOS)[number];

interface Harness {
  config: Config;
  /** Sets the faults of a sandbox system (accounting, email) from a clean state. */
  faults(system: 'accounting' | 'email', faults: Partial<Faults>): void;
  /** Starts a workflow on the orchestration queue with the ingress's search attributes; resolves with its end. */
  start(
    type: string,
    args: unknown[],
    ids: { workflowId: string; searchAttributes: SearchAttributePair[] },
  ): Promise<{ done: Promise<void> }>;
  run(
    type: string,
    args: unknown[],
    ids: { workflowId: string; searchAttributes: SearchAttributePair[] },
  ): Promise<void>;
}

type Driver = Record<Scenario, (h: Harness, id: string) => Promise<string>>;

function orderPaidEvent(id: string): OrderPaid {
  return {
    type: 'OrderPaid',
    source: 'shop',
    eventId: `evt_${id}`,
    occurredAt: '2024-11-12T09:41:07Z',
    order: { id: `ORD-${id}`, total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' },
  };
}

function searchAttributes(source: string, eventType: string, eventId: string, businessKey: string) {
  return [
    { key: SOURCE, value: source },
    { key: EVENT_TYPE, value: eventType },
    { key: EVENT_ID, value: eventId },
    { key: BUSINESS_KEY, value: businessKey },
    { key: INTEGRATION_STATUS, value: 'processing' },
  ] satisfies SearchAttributePair[];
}

function paymentSucceededEvent(id: string): PaymentSucceeded {
  return {
    type: 'PaymentSucceeded',
    source: 'stripe',
    eventId: `evt_pay_${id}`,
    occurredAt: '2024-11-12T09:42:00Z',
    payment: { id: `pi_${id}`, orderId: `ORD-${id}`, amount: 1499, currency: 'PLN' },
  };
}

async function startPaymentSucceeded(h: Harness, id: string) {
  const event = paymentSucceededEvent(id);
  const workflowId = `stripe:${event.eventId}`;
  const run = await h.start('paymentSucceeded', [event], {
    workflowId,
    searchAttributes: searchAttributes('stripe', event.type, event.eventId, event.payment.orderId),
  });
  return { workflowId, done: run.done };
}

async function runOrderPaid(h: Harness, id: string): Promise<string> {
  const event = orderPaidEvent(id);
  const workflowId = `shop:${event.eventId}`;
  await h.run('orderPaid', [event], {
    workflowId,
    searchAttributes: searchAttributes('shop', event.type, event.eventId, event.order.id),
  });
  return workflowId;
}

/** How to drive each workflow type through each scenario. */
const DRIVERS: Record<string, Driver> = {
  orderPaid: {
    success: (h, id) => runOrderPaid(h, id),
    // One 500 from accounting: createInvoice's second attempt succeeds.
    retry: (h, id) => (h.faults('accounting', { failNext: 1 }), runOrderPaid(h, id)),
    // A 400 is final (DownstreamRejected): the flow alerts and fails.
    failure: (h, id) => (h.faults('accounting', { respondNext: { status: 400, count: 1 } }), runOrderPaid(h, id)),
  },
  paymentSucceeded: {
    success: async (h, id) => {
      await runOrderPaid(h, id);
      const { workflowId, done } = await startPaymentSucceeded(h, id);
      await done;
      return workflowId;
    },
    // The payment is reported before the order's invoice exists: markInvoicePaid retries until orderPaid made it.
    retry: async (h, id) => {
      const { workflowId, done } = await startPaymentSucceeded(h, id);
      await new Promise((r) => setTimeout(r, 500));
      await runOrderPaid(h, id);
      await done;
      return workflowId;
    },
    failure: async (h, id) => {
      await runOrderPaid(h, id);
      h.faults('accounting', { respondNext: { status: 400, count: 1 } });
      const { workflowId, done } = await startPaymentSucceeded(h, id);
      await done;
      return workflowId;
    },
  },
};

const OUT_DIR = path.resolve(__dirname, '../test/replay/histories');

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { cli } = await provisionTemporal({ quiet: true, cliOnly: true });
  if (cli.type !== 'existing-path') throw new Error('no Temporal CLI: run `node scripts/provision-temporal`');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-record-'));
  const server = await startDevServer({ cliPath: cli.path, port: 0, logFile: path.join(tmp, 'temporal.log') });
  const stops: Array<() => Promise<unknown>> = [() => server.stop()];
  try {
    const probe = loadConfig({ NODE_ENV: 'test' });
    const sandbox = createSandbox({
      accounting: probe.downstream.accounting.apiKey,
      email: probe.downstream.email.apiKey,
      crm: probe.downstream.crm.apiKey,
      shop: probe.downstream.shop.apiKey,
    });
    const { server: sandboxServer, url } = await sandbox.listen(0);
    stops.push(() => new Promise((r) => sandboxServer.close(r)));
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TASK_QUEUE_PREFIX: 'record-',
      ACCOUNTING_API_URL: `${url}/accounting`,
      EMAIL_API_URL: `${url}/email`,
      CRM_API_URL: `${url}/crm`,
      SHOP_API_URL: `${url}/shop`,
      ALERT_WEBHOOK_URL: `${url}/alerts`,
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    stops.push(() => nativeConnection.close());
    const workers: Worker[] = await createWorkers({
      connection: nativeConnection,
      namespace: server.namespace,
      config,
      logger: createLogger({ level: 'warn' }),
    });
    const running = Promise.all(workers.map((w) => w.run()));
    stops.push(async () => {
      for (const w of workers) w.shutdown();
      await running;
    });
    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: server.namespace });

    const harness: Harness = {
      config,
      faults(system, faults) {
        sandbox.systems[system].setFaults(faultsSchema.parse(faults));
      },
      async start(type, args, ids) {
        const handle = await client.workflow.start(type, {
          args,
          workflowId: ids.workflowId,
          taskQueue: queueFor(config.temporal.taskQueuePrefix, 'orchestration'),
          typedSearchAttributes: ids.searchAttributes,
        });
        const done = handle.result().then(
          () => undefined,
          (err: unknown) => {
            if (!(err instanceof WorkflowFailedError)) throw err;
          },
        );
        return { done };
      },
      async run(type, args, ids) {
        await (
          await this.start(type, args, ids)
        ).done;
      },
    };

    const missing: string[] = [];
    let written = 0;
    for (const type of Object.keys(workflows).sort()) {
      const driver = DRIVERS[type];
      if (!driver) {
        missing.push(type);
        continue;
      }
      fs.mkdirSync(path.join(OUT_DIR, type), { recursive: true });
      for (const scenario of SCENARIOS) {
        for (const s of Object.values(sandbox.systems)) s.reset();
        const workflowId = await driver[scenario](harness, `rec-${type}-${scenario}`);
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const file = path.join(OUT_DIR, type, `${scenario}.json`);
        fs.writeFileSync(file, `${JSON.stringify(historyToJson(history), null, 2)}\n`);
        written += 1;
        process.stdout.write(`recorded ${path.relative(process.cwd(), file)} (${history.events?.length} events)\n`);
      }
    }
    process.stdout.write(`${written} histories written under ${path.relative(process.cwd(), OUT_DIR)}\n`);
    if (missing.length) {
      process.stderr.write(
        `no driver for ${missing.join(', ')}: add one to DRIVERS in scripts/record-histories.ts, or the replay test fails\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Imported by the replay test for SCENARIOS; runs only as a script.
if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(
      `record-histories failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
