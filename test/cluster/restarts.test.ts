import {
  type Api,
  countExecutions,
  type Cluster,
  deliver,
  deliveryCounts,
  newEvents,
  type Part,
  setFaults,
  startCluster,
  until,
  untilDelivered,
} from './cluster';

// The production topology under the faults a deployment meets: rolling restarts of every process while 1,000 events
// arrive three times each, a worker killed mid-activity, the Temporal server restarted with flows in flight, and
// PostgreSQL restarted under the server. Each scenario prints its counts.
const EVENTS = Number(process.env.CLUSTER_EVENTS ?? 1000);
const DRAIN_DELAY_MS = 3000;
// A start on this cluster (PostgreSQL on the same two cores as everything else) takes longer than on the dev server
// under this load; the 1.5 s default would answer some deliveries 503 for a start that then succeeds.
// docs/deploying.md says to size it to the cluster's start latency.
const API_ENV = { SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), TEMPORAL_START_TIMEOUT_MS: '10000' };

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ apis: 0, workers: 2 });
  // A load balancer's view: an API leaves rotation when /readyz turns unready, which a SIGTERM does at once; it
  // keeps serving for SHUTDOWN_DRAIN_DELAY_MS so requests routed meanwhile still get an answer.
  for (let i = 0; i < 2; i++) await cluster.startApi(API_ENV);
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Round-robin over the APIs whose /readyz answers 200, polled every 200 ms as a load balancer would. */
function loadBalancer(apis: () => Api[]) {
  const healthy = new Set<Api>();
  let stopped = false;
  let turn = 0;
  const poll = async () => {
    while (!stopped) {
      await Promise.all(
        apis().map(async (api) => {
          const ok = await fetch(`${api.url}/readyz`, { signal: AbortSignal.timeout(1000) })
            .then((r) => r.status === 200)
            .catch(() => false);
          if (ok) healthy.add(api);
          else healthy.delete(api);
        }),
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const polling = poll();
  return {
    async pick(): Promise<Api> {
      for (;;) {
        const live = [...healthy];
        if (live.length) return live[turn++ % live.length]!;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Takes an API out of rotation before its SIGTERM, as an orchestrator's preStop hook would not: the test
     * relies on /readyz alone, so this only waits for the balancer to see it. */
    async stop() {
      stopped = true;
      await polling;
    },
    healthy,
  };
}

interface Tally {
  statuses: Record<string, number>;
  /** 5xx answers: none is expected, since an API leaves rotation before it stops taking requests. */
  bad5xx: string[];
  networkErrors: string[];
  /** Events that got 202 (accepted) or 200 (a duplicate of an accepted one) at least once. */
  accepted: Set<string>;
}

/** Every delivery in `deliveries`, `concurrency` at a time; a 503 or a network error is retried, as senders do. */
async function send(
  deliveries: Array<{ eventId: string; orderId: string }>,
  concurrency: number,
  lb: ReturnType<typeof loadBalancer>,
  tally: Tally,
  onProgress?: (sent: number) => void,
) {
  let next = 0;
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < deliveries.length; i = next++) {
        const d = deliveries[i]!;
        for (let attempt = 0; ; attempt++) {
          const api = await lb.pick();
          const r = await deliver(cluster, api, d.eventId, d.orderId);
          const key = r.status ? String(r.status) : `network:${r.error}`;
          tally.statuses[key] = (tally.statuses[key] ?? 0) + 1;
          if (r.status === 202 || r.status === 200) {
            tally.accepted.add(d.eventId);
            break;
          }
          if (r.status >= 500)
            tally.bad5xx.push(`${api.name}: ${r.status}${r.retryAfter ? ` Retry-After ${r.retryAfter}` : ''}`);
          if (!r.status) tally.networkErrors.push(`${api.name}: ${r.error}`);
          if (attempt > 50) throw new Error(`delivery of ${d.eventId} kept failing: ${key}`);
          await new Promise((res) => setTimeout(res, r.retryAfter ? Math.min(Number(r.retryAfter), 2) * 1000 : 200));
        }
        onProgress?.(++sent);
      }
    }),
  );
}

function shuffled<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

async function restartWorker(old: Part, signal: NodeJS.Signals): Promise<string> {
  const exit = await old.stop(signal);
  cluster.workers.splice(cluster.workers.indexOf(old), 1);
  await cluster.startWorker();
  return `${old.name} ${signal} → exit ${exit.code ?? exit.signal}`;
}

async function restartApi(old: Api): Promise<string> {
  const exit = await old.stop('SIGTERM');
  cluster.apis.splice(cluster.apis.indexOf(old), 1);
  await cluster.startApi(API_ENV);
  return `${old.name} SIGTERM → exit ${exit.code ?? exit.signal}`;
}

test(`${EVENTS} events, each delivered 3 times over both APIs, through rolling restarts and a SIGKILL`, async () => {
  const events = newEvents(EVENTS, 'roll');
  const deliveries = shuffled(events.flatMap((e) => [e, e, e]));
  const lb = loadBalancer(() => cluster.apis);
  const tally: Tally = { statuses: {}, bad5xx: [], networkErrors: [], accepted: new Set() };
  // Accounting answers in 50–150 ms, so activities are in flight whenever a worker stops.
  await setFaults(cluster, 'accounting', { latencyMs: 100 });

  const marks = [0.1, 0.25, 0.4, 0.55, 0.7].map((f) => Math.floor(f * deliveries.length));
  const waiters = marks.map(() => {
    let resolve!: () => void;
    return { promise: new Promise<void>((r) => (resolve = r)), resolve: () => resolve() };
  });
  const steps: string[] = [];
  const chaos = (async () => {
    await waiters[0]!.promise;
    steps.push(await restartWorker(cluster.workers[0]!, 'SIGTERM'));
    await waiters[1]!.promise;
    steps.push(await restartWorker(cluster.workers[0]!, 'SIGTERM'));
    await waiters[2]!.promise;
    steps.push(await restartApi(cluster.apis[0]!));
    await waiters[3]!.promise;
    steps.push(await restartApi(cluster.apis[0]!));
    await waiters[4]!.promise;
    steps.push(await restartWorker(cluster.workers[0]!, 'SIGKILL'));
  })();
  const started = Date.now();
  await send(deliveries, 16, lb, tally, (sent) => marks.forEach((m, i) => sent >= m && waiters[i]!.resolve()));
  await chaos;
  const sentIn = Date.now() - started;
  await lb.stop();

  // A SIGKILLed worker's activities come back after their start-to-close timeout, on the other worker.
  const done = await untilDelivered(cluster, events, `${EVENTS} invoices and emails`, 300_000);
  const executions = await until(
    'visibility to show every execution completed',
    async () => {
      const completed = await countExecutions(cluster, `WorkflowType = "orderPaid" AND ExecutionStatus = "Completed"`);
      return completed >= EVENTS ? completed : undefined;
    },
    60_000,
  );
  const all = await countExecutions(cluster, `WorkflowType = "orderPaid"`);
  process.stdout.write(
    `\n[cluster] rolling restart: ${EVENTS} events × 3 deliveries in ${(sentIn / 1000).toFixed(1)} s; ` +
      `answers ${JSON.stringify(tally.statuses)}; steps: ${steps.join('; ')}\n` +
      `[cluster] rolling restart: executions ${all} (completed ${executions}), invoices ${done.invoices} ` +
      `(distinct ${done.distinctInvoices}), emails ${done.emails} (distinct ${done.distinctEmails}), ` +
      `accepted events ${tally.accepted.size}\n`,
  );

  expect(tally.bad5xx).toEqual([]);
  expect(tally.networkErrors).toEqual([]);
  expect(tally.accepted.size).toBe(EVENTS);
  expect(all).toBe(EVENTS);
  expect(executions).toBe(EVENTS);
  expect(done).toEqual({ invoices: EVENTS, distinctInvoices: EVENTS, emails: EVENTS, distinctEmails: EVENTS });
  expect(steps.slice(0, 4).every((s) => s.endsWith('exit 0'))).toBe(true);
});

test('the Temporal server restarted with 200 flows in flight: all complete, none doubled', async () => {
  const events = newEvents(200, 'r3');
  // Slow accounting keeps the flows in flight across the restart.
  await setFaults(cluster, 'accounting', { latencyMs: 1500 });
  const lb = loadBalancer(() => cluster.apis);
  const tally: Tally = { statuses: {}, bad5xx: [], networkErrors: [], accepted: new Set() };
  await send(events, 16, lb, tally);
  await lb.stop();
  const inFlight = await countExecutions(cluster, `WorkflowType = "orderPaid" AND ExecutionStatus = "Running"`);

  const stoppedAt = Date.now();
  await cluster.temporal.stop('SIGTERM');
  await new Promise((r) => setTimeout(r, 2000));
  await cluster.temporal.start();
  const downMs = Date.now() - stoppedAt;
  await setFaults(cluster, 'accounting', {});

  const done = await untilDelivered(cluster, events, '200 emails after the server restart', 240_000);
  await new Promise((r) => setTimeout(r, 2000));
  const final = deliveryCounts(cluster, events);
  process.stdout.write(
    `\n[cluster] server restart: ${inFlight} of 200 flows running when the server stopped, down ${downMs} ms; ` +
      `invoices ${final.invoices} (distinct ${final.distinctInvoices}), emails ${final.emails} ` +
      `(distinct ${final.distinctEmails}); answers ${JSON.stringify(tally.statuses)}\n`,
  );
  expect(inFlight).toBeGreaterThan(0);
  expect(tally.accepted.size).toBe(200);
  expect(done.distinctEmails).toBe(200);
  expect(final).toEqual({ invoices: 200, distinctInvoices: 200, emails: 200, distinctEmails: 200 });
});

test('PostgreSQL restarted: the API answers 503 with Retry-After meanwhile, recovers by itself, loses nothing', async () => {
  const before = newEvents(50, 'pgb');
  const during = newEvents(20, 'pgd');
  const lb = loadBalancer(() => cluster.apis);
  const tally: Tally = { statuses: {}, bad5xx: [], networkErrors: [], accepted: new Set() };
  await setFaults(cluster, 'accounting', { latencyMs: 500 });
  await send(before, 8, lb, tally);

  await cluster.postgres.stop();
  const outage: Array<{ status: number; retryAfter?: string; error?: string }> = [];
  for (const e of during.slice(0, 5)) outage.push(await deliver(cluster, cluster.apis[0]!, e.eventId, e.orderId));
  const ready = await fetch(`${cluster.apis[0]!.url}/readyz`).then((r) => r.status);
  await cluster.postgres.start();
  await setFaults(cluster, 'accounting', {});

  // Senders retry what was refused; once the store is back, every delivery is accepted without restarting anything.
  await send(during, 8, lb, tally);
  await lb.stop();
  const all = [...before, ...during];
  const done = await untilDelivered(cluster, all, 'every flow after the PostgreSQL restart', 240_000);
  process.stdout.write(
    `\n[cluster] PostgreSQL restart: answers while down ${JSON.stringify(outage.map((o) => `${o.status}${o.retryAfter ? ` Retry-After ${o.retryAfter}` : ''}`))}, ` +
      `/readyz ${ready}; after: invoices ${done.invoices} (distinct ${done.distinctInvoices}), emails ${done.emails} of ${all.length}\n`,
  );
  for (const o of outage) expect(o).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
  expect(tally.accepted.size).toBe(all.length);
  expect(done).toEqual({
    invoices: all.length,
    distinctInvoices: all.length,
    emails: all.length,
    distinctEmails: all.length,
  });
});
