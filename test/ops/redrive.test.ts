import { Client, WorkflowFailedError } from '@temporalio/client';
import { reset } from '../../src/ops/actions';
import { find, list } from '../../src/ops/executions';
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
      (await planRedrive(opsContext(stack), { query: ownQueue(stack) })).items.length === 3 ? true : undefined,
    );
  });
  afterAll(() => stack.stop());

  test('--dry-run lists every failed execution with each side effect and the idempotency key protecting it, and changes nothing', async () => {
    const ctx = opsContext(stack);
    const runsBefore = await Promise.all(
      failed.map(async (f) => (await stack.client.workflow.getHandle(f.workflowId).describe()).runId),
    );
    const requestsBefore = stack.sandbox.systems.accounting.log.length;

    const { items: plan } = await planRedrive(ctx, { query: ownQueue(stack) });
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
    const reviewed = await planRedrive(ctx, { query: ownQueue(stack) });
    const plan = reviewed.items;
    // One entry that cannot be reset (no such workflow): the others must still run, and the error be reported.
    const bogus = {
      ...plan[0]!,
      execution: { ...plan[0]!.execution, workflowId: 'shop:evt_does-not-exist', runId: plan[0]!.execution.runId },
    };
    const progress: Array<[number, number]> = [];
    const todo = [...plan, bogus];
    // Each outcome is reported as it happens: when item k is reported, item k+1 has not been reset yet.
    const reported: Array<{ workflowId: string; nextStillOnItsFailedRun: boolean | null }> = [];
    const report = await runRedrive(
      ctx,
      { ...reviewed, items: todo },
      {
        onProgress: (d, t) => progress.push([d, t]),
        onOutcome: async (o) => {
          const next = todo[todo.findIndex((t) => t.execution.workflowId === o.workflowId) + 1];
          reported.push({
            workflowId: o.workflowId,
            nextStillOnItsFailedRun:
              next && next !== bogus
                ? (await stack.client.workflow.getHandle(next.execution.workflowId).describe()).runId ===
                  next.execution.runId
                : null,
          });
        },
      },
    );
    expect(reported).toEqual([
      ...plan.map((p, i) => ({
        workflowId: p.execution.workflowId,
        nextStillOnItsFailedRun: i < plan.length - 1 ? true : null,
      })),
      { workflowId: bogus.execution.workflowId, nextStillOnItsFailedRun: null },
    ]);

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
    const dry = await runCli(['--json', 'redrive', '--dry-run', '--query', ownQueue(stack)]);
    const { planId } = JSON.parse(dry.stdout) as { planId: string };
    const again = await runCli(['--json', 'redrive', '--yes', '--plan-id', planId, '--query', ownQueue(stack)]);
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

// A redrive resets executions in bulk, so what it acts on must be exactly what an operator reviewed, and only
// executions that are failed and still their workflow's latest run, whatever the query or the plan says.
describe('redrive touches only what was reviewed and is still failed', () => {
  const TOKEN = 'adm_redrive_0123456789abcdef';
  let stack: Stack;
  let completed: Awaited<ReturnType<typeof postOrder>>;
  let running: Awaited<ReturnType<typeof postOrder>>;
  let failed: Array<Awaited<ReturnType<typeof postOrder>>>;

  const faults = (body: Record<string, unknown>) =>
    fetch(`${stack.sandboxUrl}/__admin/accounting/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const admin = (path: string, body: unknown) =>
    fetch(`${stack.adminUrl}/admin${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
  const runOf = async (workflowId: string) => {
    const d = await stack.client.workflow.getHandle(workflowId).describe();
    return { runId: d.runId, status: d.status.name };
  };
  const ids = (orders: Array<{ workflowId: string }>) =>
    `WorkflowId IN (${orders.map((o) => `"${o.workflowId}"`).join(', ')})`;

  beforeAll(async () => {
    stack = await startStack({ env: { ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_NAME: 'redrive-test' } });
    completed = await postOrder(stack);
    await stack.client.workflow.getHandle(completed.workflowId).result();
    await faults({ respondNext: { status: 400, count: 6 } });
    failed = [];
    for (let i = 0; i < 6; i++) failed.push(await postOrder(stack));
    for (const f of failed) {
      await expect(stack.client.workflow.getHandle(f.workflowId).result()).rejects.toBeInstanceOf(WorkflowFailedError);
    }
    await faults({ holdPaths: ['/invoices'] });
    running = await postOrder(stack);
    await eventually(async () => (stack.sandbox.systems.accounting.heldCount > 0 ? true : undefined));
    await eventually(async () =>
      (await list(opsContext(stack), { query: ownQueue(stack), limit: 100 })).length === 8 ? true : undefined,
    );
  });
  afterAll(async () => {
    await faults({});
    await stack.client.workflow
      .getHandle(running.workflowId)
      .terminate('test cleanup')
      .catch(() => undefined);
    await stack.stop();
  });

  test('a query that escapes its parentheses is refused by the CLI (exit 2) and the API (400), and neither a running nor a completed execution is reset', async () => {
    const before = await Promise.all([running, completed, ...failed].map((o) => runOf(o.workflowId)));
    const injection = `WorkflowType = "none") OR (${ownQueue(stack)}`;
    const refusals: Array<{ via: string; outcome: string }> = [];
    const expected: typeof refusals = [];

    for (const args of [
      ['redrive', '--dry-run', '--query', injection],
      ['redrive', '--yes', '--plan-id', 'anything', '--query', injection],
      ['list', '--status', 'failed', '--query', injection],
    ]) {
      const cli = await runCli(args);
      refusals.push({
        via: `ops ${args.join(' ')}`,
        outcome: `exit ${cli.code}: ${/query.*parenthes/.test(cli.stderr)}`,
      });
      expected.push({ via: `ops ${args.join(' ')}`, outcome: 'exit 2: true' });
    }
    for (const query of [
      injection,
      `WorkflowType = "none" OR ${ownQueue(stack)}`,
      `WorkflowType = "none -- ") OR (${ownQueue(stack)}`,
    ]) {
      for (const body of [{ query }, { query, dryRun: false, planId: 'anything' }]) {
        const res = await admin('/redrive', body);
        refusals.push({ via: `POST /admin/redrive ${JSON.stringify(body)}`, outcome: String(res.status) });
        expected.push({ via: `POST /admin/redrive ${JSON.stringify(body)}`, outcome: '400' });
      }
    }
    const listed = await fetch(`${stack.adminUrl}/admin/list?status=failed&query=${encodeURIComponent(injection)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    refusals.push({ via: 'GET /admin/list', outcome: String(listed.status) });
    expected.push({ via: 'GET /admin/list', outcome: '400' });

    const after = await Promise.all([running, completed, ...failed].map((o) => runOf(o.workflowId)));
    expect({ refusals, after }).toEqual({ refusals: expected, after: before });
    expect(after[0]!.status).toBe('RUNNING');
    expect(after[1]!.status).toBe('COMPLETED');
  });

  test('a plan entry for a running or a completed execution is refused when it is acted on, whatever the plan says', async () => {
    const ctx = opsContext(stack);
    const before = await Promise.all([running, completed].map((o) => runOf(o.workflowId)));
    const [runningSummary] = await find(ctx, running.workflowId);
    const [completedSummary] = await find(ctx, completed.workflowId);
    const plan = await planRedrive(ctx, { query: ids([failed[5]!]) });
    const forged = {
      ...plan,
      items: [
        { execution: runningSummary!, action: 'reset' as const },
        { execution: completedSummary!, action: 'reset' as const },
      ],
    };

    const report = await runRedrive(ctx, forged);

    expect(report.reset).toEqual([]);
    expect(report.skipped.map((s) => [s.execution.workflowId, s.skipReason])).toEqual([
      [running.workflowId, expect.stringMatching(/RUNNING/)],
      [completed.workflowId, expect.stringMatching(/COMPLETED/)],
    ]);
    expect(await Promise.all([running, completed].map((o) => runOf(o.workflowId)))).toEqual(before);
  });

  test('through the API: dryRun is the default and returns a plan id; a real run needs that id and answers 409 once the set changed', async () => {
    const ctx = opsContext(stack);
    const [a, b] = [failed[0]!, failed[1]!];
    const query = ids([a, b]);
    const before = await Promise.all([a, b].map((o) => runOf(o.workflowId)));

    const dry = await admin('/redrive', { query });
    expect(dry.status).toBe(200);
    const reviewed = (await dry.json()) as { dryRun: boolean; planId: string; truncated: boolean; items: unknown[] };
    expect(reviewed).toMatchObject({ dryRun: true, truncated: false, planId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(reviewed.items).toHaveLength(2);
    const again = (await (await admin('/redrive', { query, dryRun: true })).json()) as { planId: string };
    expect(again.planId).toBe(reviewed.planId);

    const noId = await admin('/redrive', { query, dryRun: false });
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as { message: string }).message).toMatch(/planId/);
    expect((await admin('/redrive', { query, dryRun: false, planId: 'f'.repeat(32) })).status).toBe(409);
    expect(await Promise.all([a, b].map((o) => runOf(o.workflowId)))).toEqual(before);

    // Someone else resets one of them: the reviewed plan would now do something else, so it must not run.
    await reset(ctx, a.workflowId, { runId: before[0]!.runId });
    const stale = await admin('/redrive', { query, dryRun: false, planId: reviewed.planId });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { message: string }).message).toMatch(/changed.*dry run/);
    expect((await runOf(b.workflowId)).runId).toBe(before[1]!.runId);

    const fresh = (await (await admin('/redrive', { query })).json()) as { planId: string };
    expect(fresh.planId).not.toBe(reviewed.planId);
    const run = await admin('/redrive', { query, dryRun: false, planId: fresh.planId });
    expect(run.status).toBe(200);
    const report = (await run.json()) as { planId: string; reset: Array<{ workflowId: string }>; skipped: unknown[] };
    expect(report.planId).toBe(fresh.planId);
    expect(report.reset.map((r) => r.workflowId)).toEqual([b.workflowId]);
    expect(report.skipped).toHaveLength(1);
  });

  test('through the CLI: the real run needs --plan-id from the dry run, refuses a changed one, and prints each reset as it happens', async () => {
    const [c, d] = [failed[2]!, failed[3]!];
    const query = ids([c, d]);
    const before = await Promise.all([c, d].map((o) => runOf(o.workflowId)));

    const dry = await runCli(['--json', 'redrive', '--dry-run', '--query', query]);
    expect(dry.code).toBe(0);
    const { planId } = JSON.parse(dry.stdout) as { planId: string };
    expect(planId).toMatch(/^[0-9a-f]{32}$/);
    const text = await runCli(['redrive', '--dry-run', '--query', query]);
    expect(text.stdout).toContain(`--plan-id ${planId}`);

    const noId = await runCli(['redrive', '--yes', '--query', query]);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/--plan-id/);
    const wrong = await runCli(['redrive', '--yes', '--plan-id', 'f'.repeat(32), '--query', query]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/changed.*dry run/);
    expect(await Promise.all([c, d].map((o) => runOf(o.workflowId)))).toEqual(before);

    const real = await runCli(['--json', 'redrive', '--yes', '--plan-id', planId, '--query', query]);
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout) as { reset: Array<{ workflowId: string; newRunId: string }> };
    expect(report.reset.map((r) => r.workflowId).sort()).toEqual([c.workflowId, d.workflowId].sort());
    for (const r of report.reset) expect(real.stderr).toContain(`reset ${r.workflowId}`);
    for (const r of report.reset) expect(real.stderr).toContain(r.newRunId);
  });

  test('a plan that hits its limit says so, through the functions, the API and the CLI', async () => {
    const ctx = opsContext(stack);
    const full = await planRedrive(ctx, { query: ownQueue(stack) });
    expect(full).toMatchObject({ truncated: false, limit: 1000 });
    expect(full.items.length).toBeGreaterThanOrEqual(4);

    const cut = await planRedrive(ctx, { query: ownQueue(stack), limit: 2 });
    expect(cut).toMatchObject({ truncated: true, limit: 2 });
    expect(cut.items).toHaveLength(2);

    const api = (await (await admin('/redrive', { query: ownQueue(stack), limit: 2 })).json()) as Record<
      string,
      unknown
    >;
    expect(api).toMatchObject({ dryRun: true, truncated: true, limit: 2 });
    const cli = await runCli(['redrive', '--dry-run', '--limit', '2', '--query', ownQueue(stack)]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/TRUNCATED.*2/);
  });

  test('the plan fans out with bounded concurrency: with a limit of 2, never more than 2 calls to Temporal are in flight', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const service = stack.client.workflowService;
    const counting = new Proxy(service, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            inFlight -= 1;
          }
        };
      },
    });
    const connection = new Proxy(stack.client.connection, {
      get: (target, prop, receiver) => (prop === 'workflowService' ? counting : Reflect.get(target, prop, receiver)),
    });
    const client = new Client({ connection, namespace: 'default', dataConverter: stack.client.options.dataConverter });
    const ctx = { ...opsContext(stack), client };

    const plan = await planRedrive(ctx, { query: ownQueue(stack), concurrency: 2 });

    expect(plan.items.length).toBeGreaterThanOrEqual(4);
    expect(maxInFlight).toBe(2);
  });
});
