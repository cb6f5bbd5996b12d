import { WorkflowFailedError } from '@temporalio/client';
import { planRedrive, runRedrive } from '../../src/ops/redrive';
import { type Stack, startStack } from '../helpers/stack';
import { eventually, opsContext, ownQueue, postOrder, runCli } from './helpers';

// After a fix, every failed execution of a query runs again; a dry run first says what that would touch.
describe('redrive', () => {
  let stack: Stack;
  let failed: Array<Awaited<ReturnType<typeof postOrder>>>;
  let completed: Awaited<ReturnType<typeof postOrder>>;
  beforeAll(async () => {
    stack = await startStack();
    completed = await postOrder(stack);
    await stack.client.workflow.getHandle(completed.workflowId).result();
    // Accounting rejects the next three invoices (400 is final): three flows fail.
    await fetch(`${stack.sandboxUrl}/__admin/accounting/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ respondNext: { status: 400, count: 3 } }),
    });
    failed = [];
    for (let i = 0; i < 3; i++) failed.push(await postOrder(stack));
    for (const f of failed) {
      await expect(stack.client.workflow.getHandle(f.workflowId).result()).rejects.toBeInstanceOf(WorkflowFailedError);
    }
    await eventually(async () =>
      (await planRedrive(opsContext(stack), { query: ownQueue(stack) })).length === 3 ? true : undefined,
    );
  });
  afterAll(() => stack.stop());

  test('--dry-run lists every failed execution with each side effect and the idempotency key protecting it, and changes nothing', async () => {
    const ctx = opsContext(stack);
    const runsBefore = await Promise.all(
      failed.map(async (f) => (await stack.client.workflow.getHandle(f.workflowId).describe()).runId),
    );
    const requestsBefore = stack.sandbox.systems.accounting.log.length;

    const plan = await planRedrive(ctx, { query: ownQueue(stack) });
    expect(plan.map((p) => p.execution.workflowId).sort()).toEqual(failed.map((f) => f.workflowId).sort());
    const one = plan.find((p) => p.execution.workflowId === failed[0]!.workflowId)!;
    expect(one.action).toBe('reset');
    expect(one.sideEffects).toEqual([
      expect.objectContaining({
        activity: 'createInvoice',
        idempotencyKey: `invoice:${failed[0]!.orderId}`,
        protected: true,
      }),
      expect.objectContaining({
        activity: 'sendInvoiceEmail',
        idempotencyKey: `invoice-email:${failed[0]!.orderId}`,
        protected: true,
      }),
      expect.objectContaining({ activity: 'sendAlert', idempotencyKey: null, protected: false }),
    ]);

    const cli = await runCli(['redrive', '--dry-run', '--query', ownQueue(stack)]);
    expect(cli.code).toBe(0);
    for (const f of failed) {
      expect(cli.stdout).toContain(`WOULD RE-RUN  ${f.workflowId}`);
      expect(cli.stdout).toContain(`protected by Idempotency-Key invoice:${f.orderId}`);
    }
    expect(cli.stdout).toContain('NOT protected');
    expect(cli.stdout).toContain('3 execution(s) would re-run');
    expect(cli.stdout).not.toContain(completed.workflowId);

    const runsAfter = await Promise.all(
      failed.map(async (f) => (await stack.client.workflow.getHandle(f.workflowId).describe()).runId),
    );
    expect(runsAfter).toEqual(runsBefore);
    expect(stack.sandbox.systems.accounting.log.length).toBe(requestsBefore);
    expect(stack.sandbox.data.accounting.invoices.filter((i) => failed.some((f) => f.orderId === i.order_id))).toEqual(
      [],
    );
  });

  test('a real redrive re-runs every failed execution, goes on past an error, reports it, and a second redrive finds nothing left to do', async () => {
    const ctx = opsContext(stack);
    const plan = await planRedrive(ctx, { query: ownQueue(stack) });
    // One entry that cannot be reset (no such workflow): the others must still run, and the error be reported.
    const bogus = {
      ...plan[0]!,
      execution: { ...plan[0]!.execution, workflowId: 'shop:evt_does-not-exist', runId: plan[0]!.execution.runId },
    };
    const progress: Array<[number, number]> = [];
    const report = await runRedrive(ctx, [...plan, bogus], { onProgress: (d, t) => progress.push([d, t]) });

    expect(report.reset.map((r) => r.workflowId).sort()).toEqual(failed.map((f) => f.workflowId).sort());
    expect(report.failed).toEqual([
      expect.objectContaining({ workflowId: 'shop:evt_does-not-exist', error: expect.any(String) }),
    ]);
    expect(progress).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);

    for (const r of report.reset) {
      const result = await stack.client.workflow.getHandle(r.workflowId, r.newRunId).result();
      const order = failed.find((f) => f.workflowId === r.workflowId)!;
      expect(result).toMatchObject({ orderId: order.orderId });
      expect(stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === order.orderId)).toHaveLength(1);
    }

    // The failed runs are no longer their workflow's latest: a second redrive skips them and says why.
    const again = await runCli(['--json', 'redrive', '--yes', '--query', ownQueue(stack)]);
    expect(again.code).toBe(0);
    const second = JSON.parse(again.stdout) as {
      reset: unknown[];
      skipped: Array<{ skipReason: string }>;
      failed: unknown[];
    };
    expect(second.reset).toEqual([]);
    expect(second.failed).toEqual([]);
    expect(second.skipped.length).toBe(3);
    expect(second.skipped[0]!.skipReason).toMatch(/a newer run exists .*COMPLETED/);
  });
});
