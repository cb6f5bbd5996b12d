import { find, list, stuck } from '../../src/ops/executions';
import { type Stack, startStack } from '../helpers/stack';
import { eventually, opsContext, ownQueue, postOrder, runCli } from './helpers';

// The 3 a.m. case: accounting answers 500 to everything, so createInvoice retries (1 s backoff doubling: attempt 6
// starts about 31 s in). Operators must see the execution as stuck, with the activity, attempt and error.
describe('find, list and stuck with accounting failing every call', () => {
  let stack: Stack;
  let order: Awaited<ReturnType<typeof postOrder>>;
  beforeAll(async () => {
    stack = await startStack();
    await fetch(`${stack.sandboxUrl}/__admin/accounting/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failRate: 1 }),
    });
    order = await postOrder(stack);
  });
  afterAll(async () => {
    await stack.client.workflow
      .getHandle(order.workflowId)
      .terminate('test cleanup')
      .catch(() => undefined);
    await stack.stop();
  });

  test('find by order id shows the running execution, its pending createInvoice, the last error and a Web UI link', async () => {
    const ctx = opsContext(stack);
    const [found] = await eventually(async () => {
      const r = await find(ctx, order.orderId);
      return r.length === 1 && (r[0]?.pendingActivity?.attempt ?? 0) >= 2 ? r : undefined;
    });
    expect(found).toMatchObject({
      workflowId: order.workflowId,
      type: 'orderPaid',
      status: 'RUNNING',
      businessKey: order.orderId,
      eventId: order.eventId,
      pendingActivity: { name: 'createInvoice' },
      link: `${stack.config.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(order.workflowId)}/${found!.runId}/history`,
    });
    expect(found?.lastError).toMatch(/500/);
    // The event id finds the same execution.
    expect((await find(ctx, order.eventId)).map((e) => e.runId)).toEqual([found!.runId]);
  });

  test('list --status retrying includes it, --status failed does not', async () => {
    const ctx = opsContext(stack);
    const retrying = await list(ctx, { status: 'retrying', since: '1h', query: ownQueue(stack) });
    expect(retrying.map((e) => e.workflowId)).toEqual([order.workflowId]);
    expect(await list(ctx, { status: 'failed', since: '1h', query: ownQueue(stack) })).toEqual([]);
    expect(
      (await list(ctx, { status: 'running', source: 'shop', type: 'orderPaid', query: ownQueue(stack) })).length,
    ).toBe(1);
  });

  test('stuck (default: attempt 5) reports the execution held at attempt 6 with the activity, attempt and last failure; the CLI prints the same as JSON', async () => {
    const ctx = opsContext(stack);
    const atSix = await eventually(
      async () => {
        const [f] = await find(ctx, order.orderId);
        return (f?.pendingActivity?.attempt ?? 0) >= 6 ? f : undefined;
      },
      75_000,
      1000,
    );
    expect(atSix.pendingActivity?.attempt).toBeGreaterThanOrEqual(6);

    const found = await stuck(ctx, { query: ownQueue(stack) });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      workflowId: order.workflowId,
      pendingActivity: { name: 'createInvoice', lastFailure: expect.stringMatching(/500/) },
      stuckBecause: expect.stringMatching(/^createInvoice at attempt \d+/),
    });
    expect(found[0]!.pendingActivity!.attempt).toBeGreaterThanOrEqual(6);
    // A higher threshold and a long silence window leave it out: the rule is the attempt count.
    expect(await stuck(ctx, { attempts: 50, olderThan: '1h', query: ownQueue(stack) })).toEqual([]);

    const cli = await runCli(['--json', 'stuck', '--query', ownQueue(stack)]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const printed = JSON.parse(cli.stdout) as Array<{
      workflowId: string;
      link: string;
      pendingActivity: { attempt: number };
    }>;
    expect(printed.map((e) => e.workflowId)).toEqual([order.workflowId]);
    expect(printed[0]!.link).toContain('/namespaces/default/workflows/');
    expect(printed[0]!.pendingActivity.attempt).toBeGreaterThanOrEqual(6);

    const table = await runCli(['stuck', '--query', ownQueue(stack)]);
    expect(table.stdout).toMatch(/^WORKFLOW ID\s+TYPE\s+STATUS/);
    expect(table.stdout).toContain(order.workflowId);
    expect(table.stdout).toMatch(/createInvoice #\d+/);
  }, 120_000);
});
