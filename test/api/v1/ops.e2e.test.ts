import { list } from '../../../src/ops/executions';
import { planRedrive, runRedrive } from '../../../src/ops/redrive';
import { faultsSchema } from '../../../src/kit/stand-in';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';
import { eventually, opsContext, ownQueue } from '../../ops/helpers';
import { apiClients, call } from './helpers';

// A command is an execution like a webhook flow: the ops tools find it by Source = api:<client> and redrive it.
describe('/api/v1 commands in the ops tools', () => {
  let stack: Stack;
  const clients = apiClients([{ name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 }]);

  beforeAll(async () => {
    stack = await startStack({ env: { API_CLIENTS: clients.env } });
  });
  afterAll(() => stack.stop());

  test('a command accounting refused: 502 saying a retry will not help; listed by source; a redrive completes it', async () => {
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    const path = `/api/v1/orders/${orderId}/invoice`;
    stack.sandbox.systems.accounting.setFaults(faultsSchema.parse({ respondNext: { status: 400, count: 1 } }));
    const failed = await call(stack.apiUrl, path, {
      key: clients.keys.erp,
      idempotencyKey,
      body: { total: 5, currency: 'PLN', customerEmail: 'ops@example.com' },
    });
    expect(failed.status).toBe(502);
    expect(failed.body.failure).toMatchObject({ system: 'accounting', retrySafe: true, retryMayHelp: false });

    const ctx = opsContext(stack);
    const workflowId = `${stack.config.temporal.taskQueuePrefix}api:erp:${idempotencyKey}`;
    const listed = await eventually(async () => {
      const found = await list(ctx, { source: 'api:erp', status: 'failed', query: ownQueue(stack) });
      return found.some((e) => e.workflowId === workflowId) ? found : undefined;
    });
    expect(listed.find((e) => e.workflowId === workflowId)).toMatchObject({
      type: 'invoiceOrder',
      source: 'api:erp',
      businessKey: orderId,
    });

    const plan = await planRedrive(ctx, { query: `${ownQueue(stack)} AND Source = "api:erp"` });
    const item = plan.items.find((i) => i.execution.workflowId === workflowId)!;
    expect(item.action).toBe('reset');
    expect(item.sideEffects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ activity: 'createInvoice', idempotencyKey: `invoice:${orderId}`, protected: true }),
      ]),
    );
    await runRedrive(ctx, { ...plan, items: [item] });
    const result = await stack.client.workflow.getHandle(workflowId).result();
    expect(result).toMatchObject({ orderId });
    const operation = await call(stack.apiUrl, failed.body.links.operation, { key: clients.keys.erp });
    expect(operation.body).toMatchObject({ status: 'succeeded', result: { orderId } });
  });
});
