import type { ChildProcess } from 'node:child_process';
import { temporal } from '@temporalio/proto';
import { GATE_MEMO_KEY, type GateWindow, throttleGateId } from '../../src/contracts/throttle-gate';
import { queueFor } from '../../src/contracts/task-queues';
import { freePort } from '../../src/dev/temporal-dev-server';
import { type Stack, startStack, spawnWorker } from '../helpers/stack';
import { deliver, invoicesFor, newOrders, requestsOf, setFaults, waitFor } from './helpers';

// Two worker replicas, each a process of its own (src/worker/main.ts, as deployed), serve accounting's queue. One of
// them is told 429 with Retry-After. The other has never been told anything, yet neither may call accounting until
// the window has passed: the window is shared through the throttle-gate workflow.

/** The Retry-After accounting answers: long enough that flows delivered on a loaded machine still land inside it. */
const WINDOW_S = 15;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
describe('a Retry-After window across worker replicas', () => {
  let stack: Stack;
  const workers: Array<{ child: ChildProcess; metricsPort: number }> = [];

  async function startWorker(): Promise<{ child: ChildProcess; metricsPort: number }> {
    const metricsPort = await freePort();
    const { child } = spawnWorker(stack.config, { WORKER_METRICS_PORT: String(metricsPort) });
    const worker = { child, metricsPort };
    workers.push(worker);
    return worker;
  }

  /** The identities polling accounting's activity queue, as the server sees them. */
  async function accountingPollers(): Promise<string[]> {
    const { pollers } = await stack.client.workflowService.describeTaskQueue({
      namespace: stack.config.temporal.namespace,
      taskQueue: { name: queueFor(stack.config.temporal.taskQueuePrefix, 'accounting') },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    return (pollers ?? []).map((p) => p.identity ?? '');
  }

  /** A counter of one worker's /metrics for accounting (0 when it has no sample yet). */
  async function counter(metricsPort: number, name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{system="accounting"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(async () => {
    for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stack?.stop();
  });

  test(`once one replica is told 429 with Retry-After: ${WINDOW_S}, neither calls accounting for ${WINDOW_S} s`, async () => {
    const replicas = await Promise.all([startWorker(), startWorker()]);
    const identities = replicas.map(({ child }) => `${child.pid}@`);
    await waitFor(
      'both replicas polling accounting',
      async () => {
        const pollers = await accountingPollers();
        return identities.every((id) => pollers.some((p) => p.startsWith(id)));
      },
      60_000,
    );

    // Accounting answers the next call 429 with Retry-After, and every call after it normally: a call inside the
    // window would be accepted here, so only the gate keeps it out.
    await setFaults(stack, 'accounting', { throttle: { retryAfterSeconds: WINDOW_S, count: 1 } });
    const [first] = newOrders(1);
    expect(await deliver(stack, first!)).toBe(202);
    const throttledAt = await waitFor('the 429', async () => {
      return (await requestsOf(stack, 'accounting')).find((r) => r.status === 429)?.at;
    });
    const gate = stack.client.workflow.getHandle(throttleGateId(stack.config.temporal.taskQueuePrefix, 'accounting'));
    const window = await waitFor('the window reported to the shared gate', async () => {
      try {
        return (await gate.describe()).memo?.[GATE_MEMO_KEY] as GateWindow | undefined;
      } catch {
        return undefined;
      }
    });
    expect(window.closedUntil - throttledAt).toBeGreaterThanOrEqual(WINDOW_S * 1000 - 100);
    const reporter = replicas.find(({ child }) => window.by.startsWith(`${child.pid}@`));
    const other = replicas.find((r) => r !== reporter)!;
    expect(reporter).toBeDefined();

    // More flows inside the window, a few at a time, until the replica that was never told 429 has been given one of
    // their calls and held it back: which replica takes an activity task is the server's choice, so a fixed batch can
    // miss it. The window leaves room for several batches on a loaded machine.
    const delivered = [first!];
    const deferredByOther = () => counter(other.metricsPort, 'switchyard_gate_deferred_total');
    while ((await deferredByOther()) === 0) {
      if (Date.now() > window.closedUntil - 3000) {
        throw new Error(`the other replica was given no call to accounting in the ${WINDOW_S} s window`);
      }
      const batch = newOrders(4);
      expect(await Promise.all(batch.map((o) => deliver(stack, o)))).toEqual(batch.map(() => 202));
      delivered.push(...batch);
      for (let i = 0; i < 10 && (await deferredByOther()) === 0; i++) await sleep(200);
    }
    await Promise.all(delivered.map((o) => stack.client.workflow.getHandle(o.workflowId).result()));

    const log = await requestsOf(stack, 'accounting');
    const early = log.filter((r) => r.at > throttledAt && r.at < throttledAt + WINDOW_S * 1000);
    expect(early).toEqual([]);
    for (const o of delivered) expect(invoicesFor(stack, o.orderId)).toHaveLength(1);
    // The replica that was never told 429 held its calls back too (the loop above), and reported nothing of its own.
    expect(await counter(other.metricsPort, 'switchyard_downstream_throttled_total')).toBe(0);
    expect(await counter(reporter!.metricsPort, 'switchyard_gate_closures_total')).toBe(1);
    // The episode is one execution in the Web UI, completed once the window passed.
    await waitFor('the gate run to complete', async () => (await gate.describe()).status.name === 'COMPLETED');
  }, 120_000);
});
