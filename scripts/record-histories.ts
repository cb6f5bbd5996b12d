import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { commandResultUpdate } from '../src/contracts/commands';
import { type SearchAttributePair } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../src/config';
import { startDevServer } from '../src/dev/temporal-dev-server';
import type { OrderPaid, PaymentSucceeded } from '../src/domain/events';
import { BUSINESS_KEY, EVENT_ID, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../src/domain/search-attributes';
import { createLogger } from '../src/logger';
import { historyToJson } from '../src/ops/history-json';
import { dataConverterFor } from '../src/temporal/codec';
import { faultsSchema, type Faults } from '../src/kit/stand-in';
import { createSandbox, type Sandbox, sandboxEnv, sandboxKeys } from '../src/sandbox/server';
import { putEmailContact } from '../src/systems/email-platform/contacts-stand-in';
import { seedCrmContacts, seedShopOrders } from '../src/sandbox/seed';
import { createWorkers } from '../src/worker/workers';
import * as workflows from '../src/flows/bundle';
import type { ScheduleWatchdogInput } from '../src/flows/schedule-watchdog/workflow';
import {
  advanceSyncUpdate,
  EMPTY_SYNC_STATE,
  syncStateId,
  syncStateQuery,
  type AdvanceSync,
} from '../src/contracts/sync-state';
import { queueFor } from '../src/contracts/task-queues';
import { closeGateUpdate, throttleGateId } from '../src/contracts/throttle-gate';
import { provisionTemporal } from '../src/dev/provision-temporal.js';

// `npm run record-histories`: runs every workflow type through its scenarios on a dev server of its own and writes
// each history to test/replay/histories/<workflowType>/<scenario>.json, which `npm test` replays against the current
// code. Files it does not produce (e.g. a history kept from before a patched() change) are left alone.
//
// To cover a new workflow type, add a driver below: for each scenario, set the sandbox's faults and start the
// workflow the way its ingress or schedule would. The replay test fails for an exported type without histories.

export const SCENARIOS = ['success', 'retry', 'failure'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/**
 * The scenarios recorded for `type`: SCENARIOS, except for a type that cannot fail for good. syncState holds a
 * watermark forever (no activities, nothing to fault, no error path): its runs either keep going or continue as new,
 * so it records a running history driven through reads and updates, and a run that reached its history limit.
 */
export const SCENARIOS_BY_TYPE: Partial<Record<string, readonly string[]>> = {
  syncState: ['success', 'continued'],
  // A throttle gate has no activities and no error path (a bad report is refused by its validator, leaving no
  // events): it records a window reported by two replicas, and one extended while it waited.
  throttleGate: ['success', 'extended'],
  // Also a sync of several CRM pages: pages read ahead and upserts in flight together, whose answers interleave; a
  // sync whose consent patch the CRM refuses for one contact (dead-lettered, the run goes on); and a dead-letter retry.
  contactSync: [...SCENARIOS, 'pipelined', 'dead-letters', 'dlq-retry'],
  // Also an order whose invoice already exists with another total and recipient: the run ends needs-review.
  orderPaid: [...SCENARIOS, 'invoice-conflict'],
};

export function scenariosOf(type: string): readonly string[] {
  return SCENARIOS_BY_TYPE[type] ?? SCENARIOS;
}

interface StartIds {
  workflowId: string;
  /** The ingress's search attributes; none for workflows a schedule or an activity starts. */
  searchAttributes?: SearchAttributePair[];
}

interface Harness {
  config: Config;
  /** The sandbox's systems and data, to seed records a scenario needs. */
  sandbox: Sandbox;
  client: Client;
  /** Sets the faults of a sandbox system from a clean state. */
  faults(system: string, faults: Partial<Faults>): void;
  /** Answers the next `n` alert-webhook deliveries 500 (the sandbox's alert inbox has no faults of its own). */
  failAlerts(n: number): void;
  /** Starts a workflow on the orchestration queue; resolves with its end. */
  start(type: string, args: unknown[], ids: StartIds): Promise<{ done: Promise<void> }>;
  run(type: string, args: unknown[], ids: StartIds): Promise<void>;
}

/** Resolves with the workflow id whose (latest, or the given) run's history is recorded. */
type Step = (h: Harness, id: string) => Promise<string | { workflowId: string; runId: string }>;
type Driver = Record<Scenario, Step> | Record<string, Step>;

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

async function runContactSync(h: Harness, id: string, contacts = 3): Promise<string> {
  // Contacts changed in the CRM since the last successful run: read, upserted to the email platform, watermark advanced.
  seedCrmContacts(h.sandbox.data.crm, contacts, `${id}-`);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}` });
  return `contact-sync-${id}`;
}

/**
 * A first sync of three contacts; then each one's consent changes on the email platform and one is deleted in the CRM.
 * The second run (recorded) PATCHes two, dead-letters the third with an alert, and advances the watermark.
 */
async function runContactSyncWithCrmRefusal(h: Harness, id: string): Promise<string> {
  const crm = h.sandbox.data.crm;
  const email = h.sandbox.data['email-platform'].contacts;
  const contacts = seedCrmContacts(crm, 3, `${id}-`);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}-first` });
  for (const c of contacts) {
    putEmailContact(email, {
      external_id: c.id,
      email: c.email,
      consent: { status: 'unsubscribed', at: '2025-04-01T09:00:00.000Z' },
    });
  }
  crm.contacts.delete(contacts[1]!.id);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}` });
  return `contact-sync-${id}`;
}

/**
 * A sync the email platform refuses one record of (its address is suppressed); the suppression is lifted and the
 * record retried as `sync-dlq retry <id>` does (recorded): it is delivered and leaves the list.
 */
async function runDeadLetterRetry(h: Harness, id: string): Promise<string> {
  const [, refused] = seedCrmContacts(h.sandbox.data.crm, 2, `${id}-`);
  const email = h.sandbox.data['email-platform'].contacts;
  email.suppressed.add(refused!.email);
  await h.run('contactSync', [{}], { workflowId: `contact-sync-${id}-first` });
  email.suppressed.delete(refused!.email);
  await h.run('contactSync', [{ retryDeadLetters: { ids: [refused!.id] } }], {
    workflowId: `contact-sync:dlq-retry:${id}`,
  });
  return `contact-sync:dlq-retry:${id}`;
}

async function runReconcileOrders(h: Harness, id: string): Promise<string> {
  // Two orders paid in the window; the webhook invoiced the first, reconciliation repairs the second.
  const shop = h.sandbox.data.shop;
  const since = shop.now();
  const [invoiced] = seedShopOrders(shop, 2, `ORD-${id}-`);
  const until = shop.now();
  h.sandbox.data.accounting.invoices.push({
    id: `inv_${id}`,
    order_id: invoiced!,
    total: 11,
    currency: 'PLN',
    customer_email: 'buyer1@example.com',
    status: 'open',
    payments: [],
    created_at: new Date().toISOString(),
  });
  await h.run('reconcileOrders', [{ window: { since, until } }], { workflowId: `reconcile-orders-${id}` });
  return `reconcile-orders-${id}`;
}

async function runScheduleWatchdog(h: Harness, id: string, watched: ScheduleWatchdogInput['schedules']) {
  const input: ScheduleWatchdogInput = { schedules: watched, pausedAlertAfterMs: 60 * 60_000 };
  await h.run('scheduleWatchdog', [input], { workflowId: `schedule-watchdog-${id}` });
  return `schedule-watchdog-${id}`;
}

/** A schedule that is declared but does not exist: the watchdog alerts on it. */
const missingSchedule = (id: string) => [{ id: `${id}-missing`, expectedIntervalMs: 60 * 60_000 }];

function advance(n: number): AdvanceSync {
  const at = new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();
  return {
    watermarks: { crm: at, email: at },
    conflicts: [],
    run: {
      workflowId: `contact-sync-${n}`,
      runId: `run-${n}`,
      finishedAt: at,
      sentToEmail: n,
      patchedInCrm: 0,
      conflictCount: 0,
    },
  };
}

/** How to drive each workflow type through each scenario (scenariosOf(type)). */
const DRIVERS: Record<string, Driver> = {
  orderPaid: {
    success: (h, id) => runOrderPaid(h, id),
    // One 500 from accounting: createInvoice's second attempt succeeds.
    retry: (h, id) => (h.faults('accounting', { failNext: 1 }), runOrderPaid(h, id)),
    // A 400 is final (DownstreamRejected): the flow alerts and fails.
    failure: (h, id) => (h.faults('accounting', { respondNext: { status: 400, count: 1 } }), runOrderPaid(h, id)),
    'invoice-conflict': (h, id) => {
      h.sandbox.data.accounting.invoices.push({
        id: `inv_${id}`,
        order_id: `ORD-${id}`,
        total: 1,
        currency: 'PLN',
        customer_email: 'someone.else@example.com',
        status: 'open',
        payments: [],
        created_at: new Date().toISOString(),
      });
      return runOrderPaid(h, id);
    },
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
  contactSync: {
    success: (h, id) => runContactSync(h, id),
    // One 500 from the email platform: listing its contact changes succeeds on the second attempt.
    retry: (h, id) => (h.faults('email-platform', { failNext: 1 }), runContactSync(h, id)),
    // A 400 is final (DownstreamRejected): the sync alerts and fails, leaving the watermark where it was.
    failure: (h, id) => (h.faults('email-platform', { respondNext: { status: 400, count: 1 } }), runContactSync(h, id)),
    // Three pages: the third is read while the first two pages' upserts are in flight together.
    pipelined: (h, id) => runContactSync(h, id, 250),
    'dead-letters': (h, id) => runContactSyncWithCrmRefusal(h, id),
    'dlq-retry': (h, id) => runDeadLetterRetry(h, id),
  },
  reconcileOrders: {
    success: (h, id) => runReconcileOrders(h, id),
    // One 500 from the shop: listing the paid orders succeeds on the second attempt.
    retry: (h, id) => (h.faults('shop', { failNext: 1 }), runReconcileOrders(h, id)),
    // A 400 from the shop is final: the reconciliation alerts and fails.
    failure: (h, id) => (h.faults('shop', { respondNext: { status: 400, count: 1 } }), runReconcileOrders(h, id)),
  },
  scheduleWatchdog: {
    success: (h, id) => runScheduleWatchdog(h, id, missingSchedule(id)),
    // The alert webhook answers 500 once: the alert goes out on the second attempt.
    retry: (h, id) => (h.failAlerts(1), runScheduleWatchdog(h, id, missingSchedule(id))),
    // A watched sync whose state workflow does not answer the syncState query (the watchdog itself, misconfigured as
    // one): inspectSchedules fails all its 3 attempts and the check fails.
    failure: async (h, id) => {
      const schedule = await h.client.schedule.create({
        scheduleId: `${id}-paused`,
        spec: { intervals: [{ every: '1h' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'reconcileOrders',
          args: [{}],
          taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
        },
        state: { paused: true },
      });
      try {
        return await runScheduleWatchdog(h, id, [
          { id: `${id}-paused`, expectedIntervalMs: 60 * 60_000, syncStateId: `schedule-watchdog-${id}` },
        ]);
      } finally {
        await schedule.delete();
      }
    },
  },
  invoiceOrder: {
    success: (h, id) => invoiceCommand(h, id),
    // One 500 from accounting: the command profile's second attempt succeeds.
    retry: (h, id) => (h.faults('accounting', { failNext: 1 }), invoiceCommand(h, id)),
    // A 400 is final: the command alerts, answers its update with CommandFailed and fails.
    failure: (h, id) => (h.faults('accounting', { respondNext: { status: 400, count: 1 } }), invoiceCommand(h, id)),
  },
  upsertContact: {
    success: (h, id) => contactCommand(h, id),
    retry: (h, id) => (h.faults('crm', { failNext: 1 }), contactCommand(h, id)),
    failure: (h, id) => (h.faults('crm', { respondNext: { status: 400, count: 1 } }), contactCommand(h, id)),
  },
  throttleGate: {
    // Two replicas report the same 429 within a moment: the second report, no longer, changes nothing.
    success: async (h, id) => {
      const workflowId = throttleGateId(h.config.temporal.taskQueuePrefix, id);
      await reportWindow(h, workflowId, 1500, '101@worker-a');
      await reportWindow(h, workflowId, 1000, '202@worker-b');
      await h.client.workflow.getHandle(workflowId).result();
      return workflowId;
    },
    // A longer window reported while the gate waits out the first: it waits again, until the longer one ends.
    extended: async (h, id) => {
      const workflowId = throttleGateId(h.config.temporal.taskQueuePrefix, id);
      await reportWindow(h, workflowId, 1000, '101@worker-a');
      await new Promise((r) => setTimeout(r, 300));
      await reportWindow(h, workflowId, 2000, '202@worker-b');
      await h.client.workflow.getHandle(workflowId).result();
      return workflowId;
    },
  },
  syncState: {
    // Started as contactSync's activities start it, read (queries leave no events) and advanced twice; recorded while
    // it runs, as it always does.
    success: async (h, id) => {
      const workflowId = syncStateIdFor(h, id);
      const handle = await startSyncState(h, workflowId);
      await handle.query(syncStateQuery);
      await handle.executeUpdate(advanceSyncUpdate, { args: [advance(1)] });
      await handle.executeUpdate(advanceSyncUpdate, { args: [advance(2)] });
      await handle.query(syncStateQuery);
      return workflowId;
    },
    // Advanced until its history passes the limit: the run waits for its handlers, then continues as new with the
    // state. The first run's history (closed by ContinueAsNew) is the one recorded.
    continued: async (h, id) => {
      const workflowId = syncStateIdFor(h, id);
      const handle = await startSyncState(h, workflowId);
      const { runId } = await handle.describe();
      for (let n = 1; ; n += 1) {
        await handle.executeUpdate(advanceSyncUpdate, { args: [advance(n)] });
        const d = await h.client.workflow.getHandle(workflowId, runId).describe();
        if (d.status.name !== 'RUNNING') break;
        if (n > 1000) throw new Error('syncState did not continue as new');
      }
      return { workflowId, runId };
    },
  },
};

/** Runs an /api/v1 command as the API does: Update-With-Start of commandResultUpdate; a failed answer is expected. */
async function runCommandAsApi(h: Harness, type: string, input: { bodyHash: string } & Record<string, unknown>) {
  const workflowId = `api:record:${type}-${input.bodyHash}`;
  try {
    await h.client.workflow.executeUpdateWithStart(commandResultUpdate, {
      args: [input.bodyHash],
      updateId: `result:${input.bodyHash}`,
      startWorkflowOperation: new WithStartWorkflowOperation(type, {
        workflowId,
        taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        memo: { bodyHash: input.bodyHash, client: 'record' },
      }),
    });
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
  }
  await h.client.workflow
    .getHandle(workflowId)
    .result()
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowFailedError)) throw err;
    });
  return workflowId;
}

const invoiceCommand = (h: Harness, id: string) =>
  runCommandAsApi(h, 'invoiceOrder', {
    client: 'record',
    bodyHash: `h-${id}`,
    order: { id: `ORD-${id}`, total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' },
  });

const contactCommand = (h: Harness, id: string) =>
  runCommandAsApi(h, 'upsertContact', {
    client: 'record',
    bodyHash: `h-${id}`,
    system: 'crm',
    email: `c-${id}@example.com`,
    values: { name: 'Krystyna Nowak', company: 'Acme' },
  });

/** Reports a window as the client layer does (Update-With-Start, USE_EXISTING), as worker `by`. */
function reportWindow(h: Harness, workflowId: string, ms: number, by: string) {
  return h.client.workflow.executeUpdateWithStart(closeGateUpdate, {
    args: [{ until: Date.now() + ms, reason: `answered 429: wait ${ms} ms`, by }],
    startWorkflowOperation: new WithStartWorkflowOperation('throttleGate', {
      workflowId,
      taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
      args: ['accounting'],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

/** Started as contactSync's activities start it; nobody waits for a result that never comes. */
function startSyncState(h: Harness, workflowId: string) {
  return h.client.workflow.start('syncState', {
    workflowId,
    taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
    args: [EMPTY_SYNC_STATE],
  });
}

function syncStateIdFor(h: Harness, id: string): string {
  return syncStateId(h.config.temporal.taskQueuePrefix, id);
}

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
    const sandbox = createSandbox(sandboxKeys(probe));
    const { server: sandboxServer, url } = await sandbox.listen(0);
    stops.push(() => new Promise((r) => sandboxServer.close(r)));
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TASK_QUEUE_PREFIX: 'record-',
      ...sandboxEnv(url, sandboxKeys(probe)),
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
    // Recorded as the service writes them: encrypted with the development key the replay tests derive too.
    const client = new Client({ connection, namespace: server.namespace, dataConverter: dataConverterFor(config) });

    const harness: Harness = {
      config,
      sandbox,
      client,
      faults(system, faults) {
        sandbox.systems[system]!.setFaults(faultsSchema.parse(faults));
      },
      failAlerts(n) {
        sandbox.systems.alerts.setFaults(faultsSchema.parse({ failNext: n }));
      },
      async start(type, args, ids) {
        const handle = await client.workflow.start(type, {
          args,
          workflowId: ids.workflowId,
          taskQueue: queueFor(config.temporal.taskQueuePrefix, 'orchestration'),
          ...(ids.searchAttributes ? { typedSearchAttributes: ids.searchAttributes } : {}),
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
    // `npm run record-histories -- throttleGate …` records only the named types and leaves the others' files alone;
    // `orderPaid:invoice-conflict` only that scenario (a new one, without re-recording the type's others).
    const named = process.argv.slice(2).map((arg) => arg.split(':') as [string, string?]);
    const only = named.map(([type]) => type);
    const unknown = only.filter((t) => !(t in workflows));
    if (unknown.length) throw new Error(`no workflow type ${unknown.join(', ')}: see FLOWS in src/registry.ts`);
    for (const type of Object.keys(workflows).sort()) {
      if (only.length && !only.includes(type)) continue;
      const driver = DRIVERS[type];
      if (!driver) {
        missing.push(type);
        continue;
      }
      fs.mkdirSync(path.join(OUT_DIR, type), { recursive: true });
      const picked = named.filter(([t, scenario]) => t === type && scenario).map(([, scenario]) => scenario!);
      for (const scenario of picked.length ? picked : scenariosOf(type)) {
        for (const s of Object.values(sandbox.systems)) s?.reset();
        const step = (driver as Record<string, Step | undefined>)[scenario];
        if (!step) throw new Error(`the ${type} driver has no ${scenario} scenario`);
        const recorded = await step(harness, `rec-${type}-${scenario}`);
        const { workflowId, runId } =
          typeof recorded === 'string' ? { workflowId: recorded, runId: undefined } : recorded;
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
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
