import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { LoggedRequest } from '../../src/kit/stand-in';
import type { SandboxMessage } from '../../src/systems/email-platform/stand-in';
import { GATE_MEMO_KEY, type GateWindow, throttleGateId } from '../../src/contracts/throttle-gate';
import { type Stack, startStack } from '../helpers/stack';
import { apiClients } from '../api/v1/helpers';
import { deliver, invoicesFor, newOrders, requestsOf, setFaults, waitFor } from './helpers';

/** The most arrivals in any rolling second, counted as the sandbox's limiter counts them: (t - 1000 ms, t]. */
function maxArrivalsPerSecond(arrivals: number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/** How many times each value occurs. */
function countsOf(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** The email platform as a provider runs it: a sandbox in a process of its own (see sandbox-process.ts). */
interface Provider {
  url: string;
  /** The messages the email platform accepted. */
  messages(): Promise<SandboxMessage[]>;
  stop(): void;
}

function startProvider(): Promise<Provider> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'sandbox-process.ts')], {
    cwd: path.resolve(__dirname, '../..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the sandbox process exited with ${code} before listening`)));
    child.once('message', (msg: { url: string }) =>
      resolve({
        url: msg.url,
        messages: () =>
          new Promise((answer) => {
            child.once('message', (reply: { messages: SandboxMessage[] }) => answer(reply.messages));
            child.send('messages');
          }),
        stop: () => child.kill(),
      }),
    );
  });
}

/**
 * One request through the provider's whole path, so that its first counted request is not also the first one its
 * code runs: a real provider is warm, and a cold one logs that request late, bunched up with the next ones.
 */
async function warmUp(url: string, apiKey: string | undefined): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey ?? ''}`,
      'content-type': 'application/json',
      'idempotency-key': 'warm-up',
    },
    body: JSON.stringify({ to: 'warm-up@example.com', subject: 'warm-up' }),
  });
  if (res.status !== 201) throw new Error(`the email sandbox's warm-up answered ${res.status}: ${await res.text()}`);
}

// Backing off when a system says so, on the real dev server: a 429's Retry-After holds every caller of that system,
// and a static rate limit on the email platform's task queue keeps 100 flows inside the platform's own limit.
describe('throttled third-party systems', () => {
  let stack: Stack;
  let email: Provider;
  const clients = apiClients([{ name: 'reader', scopes: ['contacts:read'], ratePerSecond: 1000 }]);
  const admin = async (method: string, what: string, body?: object) => {
    const res = await fetch(`${email.url}/__admin/${what}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`email sandbox ${method} ${what}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  beforeAll(async () => {
    email = await startProvider();
    stack = await startStack({
      // 100 deliveries at once to one process are over the default admission limit (64), which answers some of them
      // 503 for the sender to resend (test/api/admission.test.ts). The limit under test here is the email
      // platform's, so the process admits them all.
      env: {
        WEBHOOK_MAX_IN_FLIGHT: '128',
        EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '5',
        EMAIL_PLATFORM_API_URL: `${email.url}/email-platform`,
        API_CLIENTS: clients.env,
      },
    });
    await warmUp(`${email.url}/email-platform/messages`, stack.config.systems['email-platform']?.apiKey);
  });
  afterAll(async () => {
    await stack?.stop();
    email?.stop();
  });
  beforeEach(async () => {
    await fetch(`${stack.sandboxUrl}/__admin/reset`, { method: 'POST' });
    await admin('POST', 'reset');
  });

  test('when accounting answers 429 with Retry-After: 3, no caller reaches it for 3 s, then every flow completes', async () => {
    const [first, ...later] = newOrders(5, stack.config.temporal.taskQueuePrefix);
    await setFaults(stack, 'accounting', { throttle: { retryAfterSeconds: 3, forMs: 3000 } });
    expect(await deliver(stack, first!)).toBe(202);
    const throttledAt = await waitFor('the first 429', async () => {
      return (await requestsOf(stack, 'accounting')).find((r) => r.status === 429)?.at;
    });
    // Flows started inside the window must wait for it too: the gate is per system, not per activity.
    expect(await Promise.all(later.map((o) => deliver(stack, o)))).toEqual([202, 202, 202, 202]);

    const results = await Promise.all(
      [first!, ...later].map((o) => stack.client.workflow.getHandle(o.workflowId).result()),
    );
    expect(results.map((r) => r.orderId)).toEqual([first!, ...later].map((o) => o.orderId));
    const log = await requestsOf(stack, 'accounting');
    const early = log.filter((r) => r.at > throttledAt && r.at < throttledAt + 3000);
    expect(early).toEqual([]);
    for (const o of [first!, ...later]) expect(invoicesFor(stack, o.orderId)).toHaveLength(1);
  });

  test('with the email platform limited to 5 req/s, 100 flows at once never send it more than 5 in any second, and all complete', async () => {
    const orders = newOrders(100, stack.config.temporal.taskQueuePrefix);
    await admin('PUT', 'email-platform/faults', { rateLimitPerSecond: 5 });
    const started = Date.now();
    const statuses = await Promise.all(orders.map((o) => deliver(stack, o)));
    expect(countsOf(statuses)).toEqual({ 202: orders.length });
    await Promise.all(orders.map((o) => stack.client.workflow.getHandle(o.workflowId).result()));
    const elapsed = Date.now() - started;

    // What the provider saw: every request's arrival, from the first one on, and its answers.
    const log = ((await admin('GET', 'email-platform/requests')) as { data: LoggedRequest[] }).data;
    const arrivals = log.map((r) => r.at).sort((a, b) => a - b);
    const observed = maxArrivalsPerSecond(arrivals);
    const tightest = Math.min(...arrivals.slice(5).map((t, i) => t - arrivals[i]!));
    const rejected = log.filter((r) => r.status === 429);
    process.stdout.write(
      `rate limit: 100 flows in ${elapsed} ms, email requests ${log.length}, 429s ${rejected.length}, ` +
        `max ${observed} arrivals in any rolling second, the tightest 6 consecutive arrivals span ${tightest} ms\n`,
    );
    expect(rejected).toEqual([]);
    expect(observed).toBeLessThanOrEqual(5);
    const messages = await email.messages();
    for (const o of orders) {
      expect(messages.filter((m) => (m.data as { order_id: string }).order_id === o.orderId)).toHaveLength(1);
    }
  }, 120_000);

  test('with the email platform limited to 5 req/s, flows and a client reading contacts all the while share the 5: never more in any second, no 429', async () => {
    const orders = newOrders(40, stack.config.temporal.taskQueuePrefix);
    await admin('PUT', 'email-platform/faults', { rateLimitPerSecond: 5 });
    let reading = true;
    const reads: number[] = [];
    const reader = (async () => {
      while (reading) {
        const answers = await Promise.all(
          Array.from({ length: 5 }, () =>
            fetch(`${stack.apiUrl}/api/v1/contacts/${encodeURIComponent('nobody@example.com')}`, {
              headers: { authorization: `Bearer ${clients.keys.reader}` },
            }),
          ),
        );
        for (const a of answers) {
          reads.push(a.status);
          await a.text();
        }
      }
    })();
    try {
      const statuses = await Promise.all(orders.map((o) => deliver(stack, o)));
      expect(countsOf(statuses)).toEqual({ 202: orders.length });
      await Promise.all(orders.map((o) => stack.client.workflow.getHandle(o.workflowId).result()));
    } finally {
      reading = false;
      await reader;
    }

    const log = ((await admin('GET', 'email-platform/requests')) as { data: LoggedRequest[] }).data;
    const contactReads = log.filter((r) => r.path.includes('/by-email/'));
    const rejected = log.filter((r) => r.status === 429);
    const observed = maxArrivalsPerSecond(log.map((r) => r.at));
    process.stdout.write(
      `shared budget: ${reads.length} contact reads asked (${JSON.stringify(countsOf(reads))}), ` +
        `${contactReads.length} reached the email platform, ` +
        `${log.length} requests in all, 429s ${rejected.length}, max ${observed} arrivals in any rolling second\n`,
    );
    expect(contactReads.length).toBeGreaterThan(0);
    expect(rejected).toEqual([]);
    expect(observed).toBeLessThanOrEqual(5);
    const messages = await email.messages();
    for (const o of orders) {
      expect(messages.filter((m) => (m.data as { order_id: string }).order_id === o.orderId)).toHaveLength(1);
    }
  }, 120_000);

  test("a contact read's 429 with Retry-After: 2 holds the workers for those 2 s, no longer: the gate's run then completes", async () => {
    await admin('PUT', 'email-platform/faults', { throttle: { retryAfterSeconds: 2, count: 1 } });
    const read = await fetch(`${stack.apiUrl}/api/v1/contacts/${encodeURIComponent('nobody@example.com')}`, {
      headers: { authorization: `Bearer ${clients.keys.reader}` },
    });
    await read.text();
    const requests = async () => ((await admin('GET', 'email-platform/requests')) as { data: LoggedRequest[] }).data;
    const throttledAt = (await requests()).find((r) => r.status === 429)!.at;
    const gate = stack.client.workflow.getHandle(
      throttleGateId(stack.config.temporal.taskQueuePrefix, 'email-platform'),
    );
    const window = await waitFor('the read reported its window', async () => {
      try {
        return (await gate.describe()).memo?.[GATE_MEMO_KEY] as GateWindow | undefined;
      } catch {
        return undefined;
      }
    });
    // The window is the provider's 2 s, on the API's clock (it arrived before the 429 left the sandbox).
    expect(window.closedUntil - throttledAt).toBeGreaterThanOrEqual(1900);
    expect(window.closedUntil - throttledAt).toBeLessThan(3000);

    const orders = newOrders(3, stack.config.temporal.taskQueuePrefix);
    expect(await Promise.all(orders.map((o) => deliver(stack, o)))).toEqual([202, 202, 202]);
    await Promise.all(orders.map((o) => stack.client.workflow.getHandle(o.workflowId).result()));
    const log = await requests();
    expect(log.filter((r) => r.at > throttledAt && r.at < window.closedUntil)).toEqual([]);
    const messages = await email.messages();
    for (const o of orders) {
      expect(messages.filter((m) => (m.data as { order_id: string }).order_id === o.orderId)).toHaveLength(1);
    }
    await waitFor('the gate run to complete', async () => (await gate.describe()).status.name === 'COMPLETED');
  }, 60_000);
});
