import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { find, list } from '../../src/ops/executions';
import { planRedrive } from '../../src/ops/redrive';
import { faultsSchema } from '../../src/kit/stand-in';
import { checkKeys } from '../../src/ops/keys';
import { applySchedules } from '../../src/schedules/apply';
import { scheduleDefinitions } from '../../src/schedules/definitions';
import { decodePayloadsDeep, keyIdOf, MissingPayloadKeyError, PayloadCipher } from '../../src/temporal/codec';
import { apiClients, call } from '../api/v1/helpers';
import {
  failureMessage,
  spawnWorker,
  type Stack,
  startStack,
  TEST_ADDRESS,
  uniqueId,
  type WorkerProcess,
} from '../helpers/stack';
import { eventually, opsContext, postOrder, runCli } from '../ops/helpers';

// Two deployments of the same service (one task-queue prefix) one after the other, as a rolling deploy would be:
// the first accepts the webhook with its workers off, the second has other keys and runs the execution.

const key = () => randomBytes(32).toString('base64');

describe('key rotation and turning encryption on', () => {
  const stacks: Stack[] = [];
  const workers: WorkerProcess[] = [];
  const schedules: Array<{ client: Client; id: string }> = [];
  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null) w.child.kill('SIGTERM');
      await w.exit;
    }
    for (const s of schedules)
      await s.client.schedule
        .getHandle(s.id)
        .delete()
        .catch(() => undefined);
    for (const s of stacks) await s.stop();
  });

  async function deploy(prefix: string, env: Record<string, string>, workers: boolean) {
    const stack = await startStack({ env: { TASK_QUEUE_PREFIX: prefix, ...env }, workers });
    stacks.push(stack);
    return stack;
  }

  /** Takes a deployment down, as the next one of a rolling deploy replaces it. */
  async function retire(stack: Stack) {
    stacks.splice(stacks.indexOf(stack), 1);
    await stack.stop();
  }

  /** The key ids of a schedule's stored payloads (its action's input and memo, its own memo), read raw. */
  async function scheduleKeyIds(client: Client, id: string): Promise<string[]> {
    const raw = await client.workflowService.describeSchedule({ namespace: 'default', scheduleId: id });
    const start = raw.schedule?.action?.startWorkflow;
    const payloads = [
      ...(start?.input?.payloads ?? []),
      ...Object.values(start?.memo?.fields ?? {}),
      ...Object.values(raw.memo?.fields ?? {}),
    ];
    return [...new Set(payloads.map((p) => keyIdOf(p) ?? 'plain'))].sort();
  }

  /** Triggers a schedule and waits for the run it starts to complete. */
  async function runOnce(client: Client, id: string): Promise<unknown> {
    const handle = client.schedule.getHandle(id);
    const before = (await client.workflowService.describeSchedule({ namespace: 'default', scheduleId: id })).info
      ?.actionCount;
    await handle.trigger('ALLOW_ALL');
    const workflowId = await eventually(async () => {
      const raw = await client.workflowService.describeSchedule({ namespace: 'default', scheduleId: id });
      if (Number(raw.info?.actionCount ?? 0) <= Number(before ?? 0)) return undefined;
      const recent = [...(raw.info?.recentActions ?? [])].sort(
        (x, y) => Number(y.actualTime?.seconds ?? 0) - Number(x.actualTime?.seconds ?? 0),
      );
      return recent[0]?.startWorkflowResult?.workflowId ?? undefined;
    });
    const run = client.workflow.getHandle(workflowId);
    // A run whose activity fails and retries would never end: fail with its error instead.
    const retrying = eventually(async () => {
      const pending = (await run.describe()).raw.pendingActivities?.find((p) => (p.attempt ?? 1) > 1);
      return pending ? pending : undefined;
    }, 120_000).then(async (pending) => {
      throw new Error(
        `${workflowId} retries ${pending.activityType?.name}: ${await failureMessage(client, pending.lastFailure)}`,
      );
    });
    return Promise.race([run.result(), retrying]);
  }

  /** Fails as soon as the worker process exits, else resolves with `work`. */
  function whileRunning<T>(worker: WorkerProcess, work: Promise<T>): Promise<T> {
    return Promise.race([
      work,
      worker.exit.then(({ code }) => {
        throw new Error(`the worker exited with code ${code}`);
      }),
    ]);
  }

  async function inputKeyId(workflowId: string): Promise<string | undefined> {
    const connection = await Connection.connect({ address: TEST_ADDRESS() });
    try {
      const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      return input ? keyIdOf(input) : undefined;
    } finally {
      await connection.close();
    }
  }

  test('an execution started under key A completes after key B becomes first; its history needs A to decode', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const [aId, bId] = [a.split(':')[0]!, b.split(':')[0]!];
    const prefix = `${uniqueId()}-`;
    const before = await deploy(prefix, { PAYLOAD_KEYS: a }, false);
    const order = await postOrder(before);
    expect(await inputKeyId(order.workflowId)).toBe(aId);

    const after = await deploy(prefix, { PAYLOAD_KEYS: `${b},${a}` }, true);
    const result = await after.client.workflow.getHandle(order.workflowId).result();
    expect(result).toMatchObject({ orderId: order.orderId });

    const history = await after.client.workflow.getHandle(order.workflowId).fetchHistory();
    const both = new PayloadCipher(after.config.payloads.keys);
    await expect(decodePayloadsDeep(history, [both])).resolves.toBeDefined();
    const onlyB = new PayloadCipher(after.config.payloads.keys.filter((k) => k.id === bId));
    const failure = decodePayloadsDeep(history, [onlyB]);
    await expect(failure).rejects.toBeInstanceOf(MissingPayloadKeyError);
    await expect(failure).rejects.toThrow(new RegExp(`key id "${aId}"`));
  }, 60_000);

  test('keys check lists an open execution that still needs a key no longer configured, by its key id', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const aId = a.split(':')[0]!;
    const prefix = `${uniqueId()}-`;
    const stack = await deploy(prefix, { PAYLOAD_KEYS: a }, false);
    const order = await postOrder(stack);
    const own = `TaskQueue = "${prefix}switchyard"`;

    // Visibility is eventually consistent: wait until the new execution is listed.
    const withoutA = await eventually(async () => {
      const r = await checkKeys(opsContext(stack), { configured: [b.split(':')[0]!], query: own });
      return r.missing.length ? r : undefined;
    });
    expect(withoutA.missing).toEqual([expect.objectContaining({ workflowId: order.workflowId, keyIds: [aId] })]);
    const withA = await checkKeys(opsContext(stack), { configured: [aId], query: own });
    expect(withA.missing).toEqual([]);
    expect(withA.checked).toBeGreaterThanOrEqual(1);

    const cli = await runCli(['keys', 'check', '--query', own], { PAYLOAD_KEYS: b, TASK_QUEUE_PREFIX: prefix });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(order.workflowId);
    expect(cli.stdout).toContain(aId);
    const ok = await runCli(['keys', 'check', '--query', own], {
      PAYLOAD_KEYS: `${b},${a}`,
      TASK_QUEUE_PREFIX: prefix,
    });
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/no open execution needs a key that is not configured/);
  }, 90_000);

  test('a worker started with only the new key rewrites the schedules written under the removed one and keeps running', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const [aId, bId] = [a.split(':')[0]!, b.split(':')[0]!];
    const prefix = `${uniqueId()}-`;
    const before = await deploy(prefix, { PAYLOAD_KEYS: a }, false);
    const defs = scheduleDefinitions(before.config);
    for (const d of defs) schedules.push({ client: before.client, id: d.id });
    await applySchedules(before.client, defs);
    for (const d of defs) expect(await scheduleKeyIds(before.client, d.id)).toEqual([aId]);

    // The old key is gone before the schedules were re-applied under the new one (the step the runbook puts first).
    const worker = spawnWorker(before.config, { PAYLOAD_KEYS: b, SCHEDULES_APPLY_ON_START: 'true' });
    workers.push(worker);
    for (const d of defs) {
      await whileRunning(
        worker,
        eventually(async () => ((await scheduleKeyIds(before.client, d.id)).join() === bId ? true : undefined), 60_000),
      );
    }
    const after = await deploy(prefix, { PAYLOAD_KEYS: b }, false);
    const watchdog = defs.find((d) => d.workflowType === 'scheduleWatchdog')!;
    await expect(whileRunning(worker, runOnce(after.client, watchdog.id))).resolves.toBeDefined();
    expect(worker.child.exitCode).toBeNull();
  }, 120_000);

  test('a schedule whose own memo is under another key is recreated under the first one, paused and with its note', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const bId = b.split(':')[0]!;
    const prefix = `${uniqueId()}-`;
    const before = await deploy(prefix, { PAYLOAD_KEYS: a }, false);
    const def = scheduleDefinitions(before.config).find((d) => d.workflowType === 'reconcileOrders')!;
    schedules.push({ client: before.client, id: def.id });
    // As schedules were created before they stopped carrying a memo of their own.
    await before.client.schedule.create({
      scheduleId: def.id,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: def.workflowType, args: def.args, taskQueue: def.taskQueue },
      memo: { description: def.description },
      state: { paused: true, note: 'shop API migration' },
    });

    const after = await deploy(prefix, { PAYLOAD_KEYS: b }, false);
    expect(await applySchedules(after.client, [def])).toEqual({ created: [], updated: [def.id], unchanged: [] });
    expect(await scheduleKeyIds(after.client, def.id)).toEqual([bId]);
    const description = await after.client.schedule.getHandle(def.id).describe();
    expect(description.state).toMatchObject({ paused: true, note: 'shop API migration' });
    expect(description.memo ?? {}).toEqual({});
    expect(await applySchedules(after.client, [def])).toEqual({ created: [], updated: [], unchanged: [def.id] });
  }, 60_000);

  test('after a key is removed, reads of a command stored under it name the key: 410 from the API, marked in ops, /admin and redrive', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const aId = a.split(':')[0]!;
    const prefix = `${uniqueId()}-`;
    const own = `TaskQueue = "${prefix}switchyard"`;
    const clients = apiClients([{ name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 }]);
    const apiKey = clients.keys.erp!;
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const env = (keys: string) => ({ PAYLOAD_KEYS: keys, API_CLIENTS: clients.env, ADMIN_TOKEN: adminToken });
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    const invoice = (stack: Stack) =>
      call(stack.apiUrl, `/api/v1/orders/${orderId}/invoice`, {
        key: apiKey,
        idempotencyKey,
        body: { total: 120.5, currency: 'PLN', customerEmail: 'ada@example.com' },
      });
    const commandId = `${prefix}api:erp:${idempotencyKey}`;
    const before = await deploy(prefix, { ...env(a), API_SYNC_WAIT_MS: '8000' }, true);
    expect((await invoice(before)).status).toBe(201);
    await before.client.workflow.getHandle(commandId).result();
    // And one flow that failed under A (accounting rejected its invoice, which is final).
    before.sandbox.systems.accounting.setFaults(faultsSchema.parse({ respondNext: { status: 400, count: 1 } }));
    const failed = await postOrder(before);
    await expect(before.client.workflow.getHandle(failed.workflowId).result()).rejects.toThrow();
    await retire(before);

    const after = await deploy(prefix, env(b), false);
    const operation = await call(after.apiUrl, `/api/v1/operations/${Buffer.from(commandId).toString('base64url')}`, {
      key: apiKey,
    });
    expect({ status: operation.status, body: operation.body }).toEqual({
      status: 410,
      body: expect.objectContaining({ error: 'operation_unreadable', missingKeyId: aId }),
    });
    const replay = await invoice(after);
    expect({ status: replay.status, body: replay.body }).toEqual({
      status: 410,
      body: expect.objectContaining({ error: 'operation_unreadable', missingKeyId: aId }),
    });

    const listed = await eventually(async () => {
      const found = await list(opsContext(after), { query: own, since: '1h' });
      return found.find((e) => e.workflowId === commandId);
    });
    expect(listed).toMatchObject({ status: 'COMPLETED', unreadable: expect.stringContaining(`"${aId}"`) });
    const found = await find(opsContext(after), commandId);
    expect(found).toEqual([expect.objectContaining({ workflowId: commandId, unreadable: listed.unreadable })]);
    const cli = await runCli(['find', commandId], { PAYLOAD_KEYS: b });
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cli.stdout).toContain(`needs key "${aId}"`);
    const admin = await fetch(`${after.adminUrl}/admin/find/${encodeURIComponent(commandId)}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toMatchObject({ data: [{ workflowId: commandId, unreadable: listed.unreadable }] });

    // A failed run under A is shown with its error marked, and a redrive skips it: no worker could decrypt its input.
    const plan = await planRedrive(opsContext(after), { query: `WorkflowId = "${failed.workflowId}"` });
    expect(plan.items).toEqual([
      {
        execution: expect.objectContaining({ lastError: `(failure message needs key "${aId}")` }),
        action: 'skip',
        skipReason: expect.stringContaining(`its input needs key "${aId}"`),
      },
    ]);
  }, 120_000);

  test('the runbook: add the new key, switch, check, remove the old one, restart; every schedule runs, every read answers', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const [aId, bId] = [a.split(':')[0]!, b.split(':')[0]!];
    const prefix = `${uniqueId()}-`;
    const own = `TaskQueue = "${prefix}switchyard"`;
    const clients = apiClients([{ name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 }]);
    const apiKey = clients.keys.erp!;
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const env = (keys: string) => ({
      PAYLOAD_KEYS: keys,
      API_CLIENTS: clients.env,
      API_SYNC_WAIT_MS: '8000',
      ADMIN_TOKEN: adminToken,
    });
    const orderId = uniqueId('ORD-');
    const idempotencyKey = uniqueId('k-');
    const invoice = (stack: Stack) =>
      call(stack.apiUrl, `/api/v1/orders/${orderId}/invoice`, {
        key: apiKey,
        idempotencyKey,
        body: { total: 120.5, currency: 'PLN', customerEmail: 'ada@example.com' },
      });
    const commandId = `${prefix}api:erp:${idempotencyKey}`;

    // Under key A: the schedules and one run of one (its memo is under A, and the watchdog inspects it), one command
    // answered (its memo and result are under A).
    const before = await deploy(prefix, env(a), true);
    const defs = scheduleDefinitions(before.config);
    for (const d of defs) schedules.push({ client: before.client, id: d.id });
    await applySchedules(before.client, defs);
    const reconcile = defs.find((d) => d.workflowType === 'reconcileOrders')!;
    await runOnce(before.client, reconcile.id);
    const first = await invoice(before);
    expect(first.status).toBe(201);
    await before.client.workflow.getHandle(commandId).result();
    await retire(before);

    // 1. Add: B listed second, so every process can read what the others will write under it.
    const added = await deploy(prefix, env(`${a},${b}`), true);
    expect((await invoice(added)).status).toBe(200);
    await retire(added);

    // 2. Switch: B first. Re-applying the schedules rewrites them under B (the worker does it at start).
    const switched = await deploy(prefix, env(`${b},${a}`), true);
    const ctx = opsContext(switched);
    const pending = await checkKeys(ctx, { configured: [bId], query: own, schedulePrefix: prefix });
    expect(pending.schedules.map((s) => s.scheduleId).sort()).toEqual(defs.map((d) => d.id).sort());
    expect(pending.schedules[0]).toMatchObject({ keyIds: [aId] });
    const applied = await applySchedules(switched.client, defs);
    expect(applied.updated.sort()).toEqual(defs.map((d) => d.id).sort());
    for (const d of defs) expect(await scheduleKeyIds(switched.client, d.id)).toEqual([bId]);

    // 3. Check, with the list about to be deployed: nothing open or scheduled needs A; closed memos under A are named.
    const checked = await eventually(async () => {
      const r = await checkKeys(ctx, { configured: [bId], query: own, schedulePrefix: prefix });
      return r.closed.needing[aId] ? r : undefined;
    });
    expect({ missing: checked.missing, schedules: checked.schedules }).toEqual({ missing: [], schedules: [] });
    expect(checked.closed.examples).toEqual(
      expect.arrayContaining([expect.objectContaining({ workflowId: commandId, keyIds: [aId] })]),
    );
    const cli = await runCli(['keys', 'check', '--query', own], { PAYLOAD_KEYS: b, TASK_QUEUE_PREFIX: prefix });
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cli.stdout).toContain(`no schedule needs a key that is not configured`);
    expect(cli.stdout).toContain(aId);
    await retire(switched);

    // 4. Remove A, 5. restart: the worker role as deployed, applying the schedules at its start.
    const removed = await deploy(prefix, env(b), false);
    const worker = spawnWorker(removed.config, { PAYLOAD_KEYS: b, SCHEDULES_APPLY_ON_START: 'true' });
    workers.push(worker);
    // The watchdog first: the newest run it judges is then the one under A.
    for (const d of [...defs].reverse()) {
      await expect(whileRunning(worker, runOnce(removed.client, d.id))).resolves.toBeDefined();
    }
    expect(worker.child.exitCode).toBeNull();

    // Every read answers: the command's stored answer is named as unreadable, never a 500.
    const operation = await call(removed.apiUrl, `/api/v1/operations/${Buffer.from(commandId).toString('base64url')}`, {
      key: apiKey,
    });
    expect(operation.status).toBe(410);
    expect(operation.body).toMatchObject({ error: 'operation_unreadable', missingKeyId: aId });
    const replay = await invoice(removed);
    expect(replay.status).toBe(410);
    expect(replay.body).toMatchObject({ error: 'operation_unreadable', missingKeyId: aId });

    const listed = await eventually(async () => {
      const found = await list(opsContext(removed), { query: own, since: '1h' });
      return found.find((e) => e.workflowId === commandId);
    });
    expect(listed).toMatchObject({ status: 'COMPLETED', unreadable: expect.stringContaining(`"${aId}"`) });
    const found = await find(opsContext(removed), commandId);
    expect(found).toEqual([expect.objectContaining({ workflowId: commandId, unreadable: listed.unreadable })]);
    const cliList = await runCli(['list', '--query', own, '--since', '1h'], { PAYLOAD_KEYS: b });
    expect({ code: cliList.code, stderr: cliList.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cliList.stdout).toContain(commandId);
    const admin = await fetch(`${removed.adminUrl}/admin/find/${encodeURIComponent(commandId)}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toMatchObject({ data: [{ workflowId: commandId, unreadable: listed.unreadable }] });
  }, 240_000);

  test('an execution started before encryption was turned on completes after it', async () => {
    const prefix = `${uniqueId()}-`;
    const before = await deploy(prefix, { PAYLOAD_ENCRYPTION: 'off' }, false);
    const order = await postOrder(before);
    expect(await inputKeyId(order.workflowId)).toBeUndefined();

    const after = await deploy(prefix, { PAYLOAD_KEYS: `on-${uniqueId()}:${key()}` }, true);
    const result = await after.client.workflow.getHandle(order.workflowId).result();
    expect(result).toMatchObject({ orderId: order.orderId });
  }, 60_000);
});
