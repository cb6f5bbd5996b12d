import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, uniqueId } from '../helpers/stack';
import { apiClients, call } from './v1/helpers';

// Two deployments on one namespace, told apart only by TASK_QUEUE_PREFIX, as docs/workflow-ids.md promises they may
// be: the same provider event and the same client's Idempotency-Key reach each of them as its own.
describe('two deployments sharing a namespace', () => {
  const clients = apiClients([{ name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 }]);
  let blue: Stack;
  let green: Stack;

  beforeAll(async () => {
    const env = { API_CLIENTS: clients.env, API_SYNC_WAIT_MS: '8000' };
    blue = await startStack({ env: { ...env, TASK_QUEUE_PREFIX: `${uniqueId('blue')}-` } });
    green = await startStack({ env: { ...env, TASK_QUEUE_PREFIX: `${uniqueId('green')}-` } });
  });
  afterAll(async () => {
    await blue?.stop();
    await green?.stop();
  });

  const deliver = (stack: Stack, eventId: string, orderId: string) =>
    post(
      `${stack.apiUrl}/webhooks/shop`,
      signShop(stack.config.sources.shop.secrets[0]!, eventId, orderPaidBody(eventId, orderId)),
    );

  test('the same webhook event id is accepted by each, and each invoices its order', async () => {
    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const toBlue = await deliver(blue, eventId, orderId);
    expect(toBlue.status).toBe(202);
    const toGreen = await deliver(green, eventId, orderId);
    expect(toGreen.status).toBe(202);
    const [blueStart, greenStart] = [(await toBlue.json()) as any, (await toGreen.json()) as any];
    expect(blueStart.status).toBe('accepted');
    expect(greenStart.status).toBe('accepted');
    expect(blueStart.workflowId).not.toBe(greenStart.workflowId);
    await blue.client.workflow.getHandle(blueStart.workflowId).result();
    await green.client.workflow.getHandle(greenStart.workflowId).result();
    for (const stack of [blue, green]) {
      expect(stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
    }
    // A redelivery is still a duplicate within its deployment.
    expect((await deliver(green, eventId, orderId)).status).toBe(200);
  });

  test("the same client and Idempotency-Key run a command in each, and neither reads the other's result", async () => {
    const idempotencyKey = uniqueId('k-');
    const body = { total: 10, currency: 'PLN', customerEmail: 'ada@example.com' };
    const orderId = uniqueId('ORD-');
    const invoice = (stack: Stack) =>
      call(stack.apiUrl, `/api/v1/orders/${orderId}/invoice`, { key: clients.keys.erp, idempotencyKey, body });
    const inBlue = await invoice(blue);
    const inGreen = await invoice(green);
    expect(inBlue.status).toBe(201);
    expect(inGreen.status).toBe(201);
    expect(inGreen.body.result.invoiceId).toBeDefined();
    expect(green.sandbox.data.accounting.invoices.filter((i) => i.order_id === orderId)).toHaveLength(1);
    // One deployment's operation id is unknown to the other.
    const crossed = await call(green.apiUrl, inBlue.body.links.operation, { key: clients.keys.erp });
    expect(crossed.status).toBe(404);
  });
});
