// The benchmarks' load generator, run as its own process from the build (`node load.js '<spec as JSON>'`): it
// prepares every request first (signatures, events), then drives them closed-loop (`concurrency` in flight) or
// open-loop (a fixed arrival rate, whatever the answers do), and prints one JSON line with the figures.
// Raw Temporal operations use the same configuration as the API: the deployment's variables, the same connection
// setup and data converter (encryption included), and the same start options as the ingress and the command API.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { bodyHash } from '../../src/api/v1/canonical';
import { loadConfig } from '../../src/config';
import { commandResultUpdate } from '../../src/contracts/commands';
import { closeGateUpdate, THROTTLE_GATE_WORKFLOW } from '../../src/contracts/throttle-gate';
import { queueFor } from '../../src/contracts/task-queues';
import { BUSINESS_KEY, EVENT_ID, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../../src/domain/search-attributes';
import { EVENT_FLOWS } from '../../src/registry';
import { dataConverterFor } from '../../src/temporal/codec';
import { createLazyClient, resolveTemporalTarget } from '../../src/temporal/connection';
import { orderPaidBody, signShop } from '../../src/sources/shop/sender';
import type { SignedRequest } from '../../src/kit/source/sender';
import { createDownstreamClient } from '../../src/kit/http';
import { createSharedWindows } from '../../src/kit/shared-gate';
import { ThrottleGate } from '../../src/kit/throttle';
import { createLogger } from '../../src/logger';
import { createWorkerMetrics } from '../../src/worker/metrics';

export type Operation =
  /**
   * A signed shop order.paid to `${url}/webhooks/shop`; 202 is a success. With `deliveries`, each event is sent that
   * many times in a row of requests (a duplicate storm), and 200 duplicate is a success too.
   */
  | { op: 'webhook'; url: string; secret: string; deliveries?: number; retryUnavailable?: boolean }
  /** The same delivery with a wrong signature to `${url}/webhooks/shop`; 401 is a success. */
  | { op: 'invalid'; url: string }
  /** Raw client.workflow.start of orderPaid with the ingress's options. */
  | { op: 'start' }
  /** POST /api/v1/orders/{id}/invoice with a new Idempotency-Key; 201 is a success. */
  | { op: 'command'; url: string; apiKey: string }
  /** Raw executeUpdateWithStart of invoiceOrder with the command API's options. */
  | { op: 'uws'; client: string; syncWaitMs: number }
  /** A throttle gate closed for `windowMs`: a workflow that then waits on a timer. */
  | { op: 'gate'; windowMs: number }
  /**
   * GET `path` of the CRM through the client layer as a worker builds it: the rate gate (at a rate that never holds),
   * the throttle gate shared through Temporal, the worker's metrics, a span, the failure classes.
   */
  | { op: 'layer'; path: string }
  /** The same GET with a bare fetch and the same bearer key: what the layer adds is the difference. */
  | { op: 'fetch'; path: string };

export type Drive =
  | { mode: 'closed'; count: number; concurrency: number; warmup?: number }
  | { mode: 'open'; ratePerSecond: number; seconds: number; warmupSeconds?: number };

export type LoadSpec = Operation & Drive & { tag?: string; sockets?: number };

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** The 99th percentile of each HTTP answer's own time, every attempt counted apart (ms). */
  answerP99: number;
  /** Deliveries sent again after a 503 (retryUnavailable). */
  retried: number;
  firstError?: string;
}

const API_VERSION = '2024-11-01';

function temporal() {
  const config = loadConfig(process.env, 'api');
  const client = createLazyClient(resolveTemporalTarget(config, process.env), dataConverterFor(config));
  return { config, client };
}

let retried = 0;

// Node's http client with kept-alive sockets, not fetch: fetch (undici in Node 20) costs the load generator several
// times the CPU per request, and on two shared cores that CPU is taken from the parts under test.
// At most `sockets` connections at once (the spec's, default 256): beyond them requests wait in the agent, which a burst
// of independent senders (P11), each on its own connection, never does.
let agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** How long each HTTP answer took, resends apart (what a sender's own timeout sees). */
const answerTimes: number[] = [];

/** POSTs `body` and reads the answer to its end; resolves with the status. */
function send(url: string, headers: Record<string, string>, body: string | Buffer): Promise<number> {
  const sent = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        answerTimes.push(performance.now() - sent);
        resolve(res.statusCode ?? 0);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One function per request index, everything that can be computed ahead of time already computed. */
function prepare(spec: LoadSpec, total: number): (i: number) => Promise<string> {
  const tag = spec.tag ?? randomBytes(4).toString('hex');
  const ids = (i: number) => ({ eventId: `evt_${tag}_${i}`, orderId: `ORD-${tag}-${i}` });
  const body = (i: number) => orderPaidBody(ids(i).eventId, ids(i).orderId, { api_version: API_VERSION });
  const post = async (url: string, req: SignedRequest, expect: number | number[]) => {
    const status = await send(url, req.headers, req.body);
    if (![expect].flat().includes(status)) throw new Error(String(status));
    return String(status);
  };

  switch (spec.op) {
    case 'layer': {
      const { config, client } = temporal();
      const crm = config.systems.crm;
      const metrics = createWorkerMetrics();
      const gate = new ThrottleGate({
        headroomPercent: config.downstream.headroomPercent,
        shared: createSharedWindows({
          client,
          prefix: config.temporal.taskQueuePrefix,
          taskQueue: queueFor(config.temporal.taskQueuePrefix, 'orchestration'),
          logger: createLogger({ level: 'warn' }),
        }),
      });
      gate.setRate('crm', 100_000);
      const layer = createDownstreamClient(
        { name: 'crm', baseUrl: crm.url, apiKey: crm.apiKey },
        { timeoutMs: config.downstream.timeoutMs, maxRetryDelayMs: 600_000, gate, ...metrics.observer },
      );
      return async () => String((await layer.request('GET', spec.path)).status);
    }
    case 'fetch': {
      const crm = loadConfig(process.env, 'worker').systems.crm;
      const url = `${crm.url.replace(/\/$/, '')}${spec.path}`;
      const headers = { authorization: `Bearer ${crm.apiKey}`, accept: 'application/json' };
      return async () => {
        const res = await fetch(url, { headers });
        await res.json();
        if (res.status !== 200) throw new Error(String(res.status));
        return '200';
      };
    }
    case 'webhook': {
      const per = spec.deliveries ?? 1;
      const events = Math.ceil(total / per);
      const signed = Array.from({ length: events }, (_, i) => signShop(spec.secret, ids(i).eventId, body(i)));
      if (per === 1 && !spec.retryUnavailable) return (i) => post(`${spec.url}/webhooks/shop`, signed[i]!, 202);
      if (per === 1) {
        // As a sender does: a 503 (or a reset connection) is sent again after 1 s, doubling per attempt up to 30 s (with jitter), for up to
        // 15 attempts (about 5 minutes; Shopify and Stripe go on for days). A resend may answer 200 duplicate: the
        // start landed after the 503 (docs/webhooks.md, the answers of the ingress).
        return async (i) => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await post(`${spec.url}/webhooks/shop`, signed[i]!, attempt === 1 ? 202 : [202, 200]);
            } catch (err) {
              // A refused or reset connection (a listen backlog overflowing) is resent like a 503, as senders do.
              const again =
                err instanceof Error &&
                (err.message === '503' || /ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/.test(err.message));
              if (!again || attempt === 15) throw err;
              retried += 1;
              const backoff = Math.min(30_000, 1000 * 2 ** (attempt - 1));
              await new Promise((r) => setTimeout(r, backoff * (0.5 + Math.random() / 2)));
            }
          }
        };
      }
      return async (i) => {
        const req = signed[Math.floor(i / per)]!;
        const status = await send(`${spec.url}/webhooks/shop`, req.headers, req.body);
        // A 503 asks the sender to retry later (the start did not answer within TEMPORAL_START_TIMEOUT_MS).
        if (status !== 202 && status !== 200 && status !== 503) throw new Error(String(status));
        return String(status);
      };
    }
    case 'invalid': {
      const wrong = `whsec_${randomBytes(24).toString('base64')}`;
      const signed = Array.from({ length: total }, (_, i) => signShop(wrong, ids(i).eventId, body(i)));
      return (i) => post(`${spec.url}/webhooks/shop`, signed[i]!, 401);
    }
    case 'start': {
      const { config, client } = temporal();
      const taskQueue = queueFor(config.temporal.taskQueuePrefix, 'orchestration');
      // Exactly what src/api/webhooks/start.ts starts for this delivery (the shop adapter's canonical event).
      return async (i) => {
        const { eventId, orderId } = ids(i);
        const event = {
          type: 'OrderPaid' as const,
          source: 'shop',
          eventId,
          occurredAt: '2024-11-12T09:41:07Z',
          order: { id: orderId, total: 1499.0, currency: 'PLN', customerEmail: 'k.nowak@example.com' },
        };
        await client.workflow.start(EVENT_FLOWS[event.type], {
          workflowId: `shop:${eventId}`,
          taskQueue,
          args: [event],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: SOURCE, value: 'shop' },
            { key: EVENT_TYPE, value: event.type },
            { key: EVENT_ID, value: eventId },
            { key: BUSINESS_KEY, value: orderId },
            { key: INTEGRATION_STATUS, value: 'processing' },
          ],
          memo: { apiVersion: API_VERSION, apiVersionKnown: true },
        });
        return 'started';
      };
    }
    case 'command': {
      const order = JSON.stringify({ total: 10, currency: 'PLN', customerEmail: 'bench@example.com' });
      return async (i) => {
        const status = await send(
          `${spec.url}/api/v1/orders/${ids(i).orderId}/invoice`,
          {
            authorization: `Bearer ${spec.apiKey}`,
            'idempotency-key': `k-${tag}-${i}`,
            'content-type': 'application/json',
          },
          order,
        );
        if (status !== 201) throw new Error(String(status));
        return '201';
      };
    }
    case 'uws': {
      const { config, client } = temporal();
      const taskQueue = queueFor(config.temporal.taskQueuePrefix, 'orchestration');
      // Exactly what src/api/v1/command-runner.ts sends for POST /api/v1/orders/{id}/invoice.
      return async (i) => {
        const orderId = ids(i).orderId;
        const order = { id: orderId, total: 10, currency: 'PLN', customerEmail: 'bench@example.com' };
        const hash = bodyHash('invoiceOrder', {
          orderId,
          total: 10,
          currency: 'PLN',
          customerEmail: order.customerEmail,
        });
        const key = `k-${tag}-${i}`;
        await client.connection.withDeadline(Date.now() + spec.syncWaitMs, () =>
          client.workflow.executeUpdateWithStart(commandResultUpdate, {
            args: [hash],
            updateId: `result:${hash}`,
            startWorkflowOperation: new WithStartWorkflowOperation('invoiceOrder', {
              workflowId: `api:${spec.client}:${key}`,
              taskQueue,
              args: [{ client: spec.client, bodyHash: hash, order }],
              workflowIdConflictPolicy: 'USE_EXISTING',
              workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
              memo: { bodyHash: hash, client: spec.client, idempotencyKey: key },
              typedSearchAttributes: [
                { key: SOURCE, value: `api:${spec.client}` },
                { key: EVENT_TYPE, value: 'InvoiceRequested' },
                { key: BUSINESS_KEY, value: orderId },
                { key: INTEGRATION_STATUS, value: 'processing' },
              ],
            }),
          }),
        );
        return 'ok';
      };
    }
    case 'gate': {
      const { config, client } = temporal();
      const taskQueue = queueFor(config.temporal.taskQueuePrefix, 'orchestration');
      return async (i) => {
        const system = `bench-${tag}-${i}`;
        await client.workflow.executeUpdateWithStart(closeGateUpdate, {
          args: [{ until: Date.now() + spec.windowMs, reason: 'benchmark', by: 'bench' }],
          startWorkflowOperation: new WithStartWorkflowOperation(THROTTLE_GATE_WORKFLOW, {
            workflowId: `${config.temporal.taskQueuePrefix}throttle-gate:${system}`,
            taskQueue,
            args: [system],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
        return 'ok';
      };
    }
  }
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

async function drive(spec: LoadSpec): Promise<LoadResult> {
  if (spec.sockets) agent = new http.Agent({ keepAlive: true, maxSockets: spec.sockets });
  const warm = spec.mode === 'closed' ? (spec.warmup ?? 0) : Math.round((spec.warmupSeconds ?? 0) * spec.ratePerSecond);
  const measured = spec.mode === 'closed' ? spec.count : Math.round(spec.seconds * spec.ratePerSecond);
  const one = prepare(spec, warm + measured);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  // `from` is when the request was due: in open loop, a late send counts against the system (no coordinated omission).
  const record = async (i: number, from: number, counted: boolean) => {
    let status: string;
    try {
      status = await one(i);
    } catch (err) {
      status = err instanceof Error ? err.message.slice(0, 60) : 'error';
      if (counted) {
        errors += 1;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
    if (!counted) return;
    latencies.push(performance.now() - from);
    statuses[status] = (statuses[status] ?? 0) + 1;
  };

  let started = performance.now();
  if (spec.mode === 'closed') {
    const run = async (from: number, to: number, counted: boolean) => {
      let next = from;
      await Promise.all(
        Array.from({ length: spec.concurrency }, async () => {
          for (let i = next++; i < to; i = next++) await record(i, performance.now(), counted);
        }),
      );
    };
    await run(0, warm, false);
    started = performance.now();
    await run(warm, warm + measured, true);
  } else {
    const interval = 1000 / spec.ratePerSecond;
    const inFlight: Array<Promise<void>> = [];
    const t0 = performance.now();
    for (let i = 0; i < warm + measured; i++) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (i === warm) started = due;
      inFlight.push(record(i, due, i >= warm));
    }
    await Promise.all(inFlight);
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    sent: measured,
    ok: measured - errors,
    errors,
    statuses,
    seconds,
    perSecond: (measured - errors) / seconds,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    answerP99: pct(
      answerTimes.sort((a, b) => a - b),
      99,
    ),
    retried,
    firstError,
  };
}

drive(JSON.parse(process.argv[2] ?? '{}') as LoadSpec).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
