import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { queueFor } from '../../src/contracts/task-queues';
import { createLogger } from '../../src/logger';
import { dataConverterFor } from '../../src/temporal/codec';
import { createWorkers } from '../../src/worker/workers';
import { NativeConnection } from '@temporalio/worker';
import { failureMessage, type Stack, startStack, TEST_ADDRESS, uniqueId } from '../helpers/stack';

// Anyone who reaches the namespace (a published frontend, the Web UI, `temporal workflow start`) can start orderPaid
// with a plain JSON input. A production worker must not run it: every Switchyard client encrypts, so a plain input
// was written by someone else.
describe('a production worker and a workflow input that is not encrypted', () => {
  let stack: Stack;
  let connection: NativeConnection;
  let workers: Worker[];
  let running: Promise<unknown>;
  let plain: Client;
  let plainConnection: Connection;

  beforeAll(async () => {
    stack = await startStack({ workers: false });
    connection = await NativeConnection.connect({ address: TEST_ADDRESS() });
    workers = await createWorkers({
      connection,
      namespace: 'default',
      config: { ...stack.config, production: true },
      logger: createLogger({ level: 'silent' }),
      workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! } as never,
    });
    running = Promise.all(workers.map((w) => w.run()));
    plainConnection = await Connection.connect({ address: TEST_ADDRESS() });
    plain = new Client({ connection: plainConnection, namespace: 'default' });
  });
  afterAll(async () => {
    for (const w of workers ?? []) if (w.getState() === 'RUNNING') w.shutdown();
    await running;
    await connection?.close();
    await plainConnection?.close();
    await stack?.stop();
  });

  const event = (orderId: string) => ({
    type: 'OrderPaid',
    source: 'shop',
    eventId: uniqueId('evt_'),
    occurredAt: '2026-11-12T09:41:07Z',
    order: { id: orderId, total: 99, currency: 'PLN', customerEmail: 'attacker-chosen@example.com' },
  });
  const invoicesOf = (orderId: string) => stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId);

  async function failedTaskMessage(client: Client, workflowId: string): Promise<string | undefined> {
    for (let i = 0; i < 100; i += 1) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const failed = history.events?.find((e) => e.workflowTaskFailedEventAttributes);
      // The failure's message travels encrypted (encodeCommonAttributes): read it as an operator would.
      if (failed) return failureMessage(stack.client, failed.workflowTaskFailedEventAttributes?.failure);
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  }

  test('refuses a plain orderPaid input: the task fails naming the cause, and no invoice is created', async () => {
    const orderId = uniqueId('ORD-');
    const workflowId = uniqueId('plain-');
    await plain.workflow.start('orderPaid', {
      workflowId,
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [event(orderId)],
    });
    try {
      expect(await failedTaskMessage(plain, workflowId)).toMatch(/refused a payload that is not encrypted/);
      expect(invoicesOf(orderId)).toEqual([]);
    } finally {
      await plain.workflow.getHandle(workflowId).terminate('test over');
    }
  });

  test('runs the same input when a Switchyard client encrypted it', async () => {
    const orderId = uniqueId('ORD-');
    const client = new Client({
      connection: plainConnection,
      namespace: 'default',
      dataConverter: dataConverterFor(stack.config),
    });
    await client.workflow.execute('orderPaid', {
      workflowId: uniqueId('encrypted-'),
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [event(orderId)],
    });
    expect(invoicesOf(orderId)).toHaveLength(1);
  });
});
