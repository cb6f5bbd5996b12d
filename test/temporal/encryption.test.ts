import { Client, Connection } from '@temporalio/client';
import { type temporal } from '@temporalio/proto';
import { decodePayloadsDeep } from '../../src/temporal/codec';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, TEST_ADDRESS, uniqueId } from '../helpers/stack';
import { postOrder, runCli } from '../ops/helpers';
import { setFaults } from '../resilience/helpers';

type History = temporal.api.history.v1.IHistory;

// Every string and every payload's bytes (as UTF-8) of a history, in one text: what someone reading Temporal's
// database or calling its API without the keys can see.
function visibleText(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) visibleText(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) visibleText(v, out);
  return out;
}

async function rawHistory(workflowId: string): Promise<History> {
  const connection = await Connection.connect({ address: TEST_ADDRESS() });
  try {
    const raw = new Client({ connection, namespace: 'default' });
    return await raw.workflow.getHandle(workflowId).fetchHistory();
  } finally {
    await connection.close();
  }
}

async function decodedHistory(workflowId: string): Promise<History> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return decodePayloadsDeep(history, stack.client.options.dataConverter.payloadCodecs ?? []);
}

let stack: Stack;

describe('customer data is encrypted before it reaches Temporal', () => {
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  async function order(email: string, total: number) {
    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const res = await post(
      `${stack.apiUrl}/webhooks/shop`,
      signShop(
        stack.config.sources.shop.secrets[0]!,
        eventId,
        orderPaidBody(eventId, orderId, {
          order: { id: orderId, total, currency: 'PLN', customer_email: email },
        }),
      ),
    );
    expect(res.status).toBe(202);
    return { orderId, workflowId: `${stack.config.temporal.taskQueuePrefix}shop:${eventId}` };
  }

  test('a codec-less read of an orderPaid history shows neither the email nor the total; the codec shows both', async () => {
    const email = `${uniqueId('enc-')}@example.com`;
    const { orderId, workflowId } = await order(email, 8317.43);
    await stack.client.workflow.getHandle(workflowId).result();

    const raw = visibleText(await rawHistory(workflowId)).join('\n');
    expect(raw).not.toContain(email);
    expect(raw).not.toContain('8317.43');
    // The business key stays readable: it is what operators search by.
    expect(raw).toContain(orderId);

    const decoded = visibleText(await decodedHistory(workflowId)).join('\n');
    expect(decoded).toContain(email);
    expect(decoded).toContain('8317.43');
  });

  test("a failure's message and stack trace are encrypted too, and the codec shows them", async () => {
    await setFaults(stack, 'accounting', { respondNext: { status: 400, count: 1 } });
    const email = `${uniqueId('fail-')}@example.com`;
    const { workflowId } = await order(email, 271.82);
    await expect(stack.client.workflow.getHandle(workflowId).result()).rejects.toThrow();

    const raw = visibleText(await rawHistory(workflowId)).join('\n');
    expect(raw).not.toContain('injected 400');
    expect(raw).not.toContain(email);
    expect(raw).not.toContain('271.82');

    const decoded = visibleText(await decodedHistory(workflowId)).join('\n');
    expect(decoded).toContain('injected 400');
  });
});

describe('npm run ops -- show', () => {
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  test('prints the decrypted history of an execution: its input, activity results and result', async () => {
    const order = await postOrder(stack);
    await stack.client.workflow.getHandle(order.workflowId).result();

    const cli = await runCli(['show', order.workflowId]);
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cli.stdout).toContain('WORKFLOW_EXECUTION_STARTED');
    expect(cli.stdout).toContain('k.nowak@example.com');
    expect(cli.stdout).toContain('createInvoice');
    expect(cli.stdout).toContain('WORKFLOW_EXECUTION_COMPLETED');
    expect(cli.stdout).not.toContain('binary/encrypted');

    const json = await runCli(['--json', 'show', order.workflowId]);
    const events = JSON.parse(json.stdout) as Array<{ eventType: string; attributes: Record<string, unknown> }>;
    const started = events.find((e) => e.eventType === 'WORKFLOW_EXECUTION_STARTED');
    expect(started?.attributes.input).toEqual([
      expect.objectContaining({ order: expect.objectContaining({ id: order.orderId }) }),
    ]);
  }, 60_000);

  test('with a key missing, it fails naming the key id', async () => {
    const order = await postOrder(stack);
    await stack.client.workflow.getHandle(order.workflowId).result();
    const other = `other:${Buffer.alloc(32, 5).toString('base64')}`;
    const cli = await runCli(['show', order.workflowId], { PAYLOAD_KEYS: other });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/key id "dev"/);
  }, 60_000);
});
