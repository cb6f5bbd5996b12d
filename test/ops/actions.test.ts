import { WorkflowFailedError } from '@temporalio/client';
import { cancel, reset, terminate } from '../../src/ops/actions';
import { find } from '../../src/ops/executions';
import { type Stack, startStack } from '../helpers/stack';
import { eventually, opsContext, postOrder, runCli } from './helpers';

async function faults(stack: Stack, system: 'accounting' | 'email-platform', body: Record<string, unknown>) {
  const res = await fetch(`${stack.sandboxUrl}/__admin/${system}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sandbox faults: ${res.status}`);
}

describe('terminate, cancel and reset', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterEach(() => faults(stack, 'accounting', {}).then(() => faults(stack, 'email-platform', {})));
  afterAll(() => stack.stop());

  const heldAtAccounting = async () => {
    await faults(stack, 'accounting', { holdPaths: ['/invoices'] });
    const order = await postOrder(stack);
    await eventually(async () => (stack.sandbox.systems.accounting.heldCount > 0 ? true : undefined));
    return order;
  };

  test('terminate ends a running execution and records the reason, which find then shows', async () => {
    const order = await heldAtAccounting();
    const ctx = opsContext(stack);
    const result = await terminate(ctx, order.workflowId, { reason: 'ORD blocked by finance, ticket 4711' });
    expect(result).toMatchObject({ workflowId: order.workflowId, action: 'terminated' });
    expect((await stack.client.workflow.getHandle(order.workflowId).describe()).status.name).toBe('TERMINATED');
    const [found] = await eventually(async () => {
      const r = await find(ctx, order.orderId);
      return r[0]?.status === 'TERMINATED' ? r : undefined;
    });
    expect(found?.lastError).toBe('terminated: ORD blocked by finance, ticket 4711');
  });

  test('cancel asks the workflow to stop: the held createInvoice is cancelled and the execution closes as cancelled', async () => {
    const order = await heldAtAccounting();
    const result = await cancel(opsContext(stack), order.workflowId);
    expect(result).toMatchObject({ workflowId: order.workflowId, action: 'cancel requested' });
    const handle = stack.client.workflow.getHandle(order.workflowId);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  test('when the email step failed, a reset after the fix completes the flow with still exactly one invoice and one email', async () => {
    await faults(stack, 'email-platform', { respondNext: { status: 400, count: 1 } });
    const order = await postOrder(stack);
    const handle = stack.client.workflow.getHandle(order.workflowId);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const failedRun = (await handle.describe()).runId;
    expect(stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === order.orderId)).toHaveLength(1);

    // The fix: the email platform accepts again (respondNext was used up). Reset through the CLI, as an operator.
    const cli = await runCli(['--json', 'reset', order.workflowId]);
    expect(cli.stderr).toBe('');
    const printed = JSON.parse(cli.stdout) as { runId: string; newRunId: string; action: string; link: string };
    expect(printed).toMatchObject({ runId: failedRun, action: 'reset' });
    expect(printed.newRunId).toMatch(/^[0-9a-f-]{36}$/);
    expect(printed.link).toContain(printed.newRunId);

    const result = await stack.client.workflow.getHandle(order.workflowId, printed.newRunId).result();
    expect(result).toMatchObject({ orderId: order.orderId });
    const invoices = stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === order.orderId);
    expect(invoices).toHaveLength(1);
    expect(result.invoiceId).toBe(invoices[0]!.id);
    expect(
      stack.sandbox.data['email-platform'].messages.filter(
        (m) => (m.data as { order_id: string }).order_id === order.orderId,
      ),
    ).toHaveLength(1);
    // The re-run did call accounting again, and its idempotency key is what kept the invoice single.
    const posts = stack.sandbox.systems.accounting.log.filter(
      (r) => r.method === 'POST' && r.idempotencyKey === `invoice:${order.orderId}`,
    );
    expect(posts).toHaveLength(2);
  });

  test('reset --to last-workflow-task re-runs only the last decision of a running execution', async () => {
    const order = await heldAtAccounting();
    const before = (await stack.client.workflow.getHandle(order.workflowId).describe()).runId;
    const r = await reset(opsContext(stack), order.workflowId, { to: 'last-workflow-task' });
    expect(r.newRunId).not.toBe(before);
    await faults(stack, 'accounting', {});
    const result = await stack.client.workflow.getHandle(order.workflowId, r.newRunId).result();
    expect(result).toMatchObject({ orderId: order.orderId });
    expect(stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === order.orderId)).toHaveLength(1);
  });
});
