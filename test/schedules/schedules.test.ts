import { applySchedules } from '../../src/schedules/apply';
import {
  backfillSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
} from '../../src/schedules/commands';
import { type ScheduleDefinition, scheduleDefinitions, withWatchdog } from '../../src/schedules/definitions';
import type { ReconcileOrdersResult } from '../../src/flows/reconcile-orders/workflow';
import { type Stack, startStack } from '../helpers/stack';

// Schedules need the real dev server (the time-skipping server has none). Ids carry the test's task-queue prefix.
describe('schedules on the dev server', () => {
  let stack: Stack;
  const created = new Set<string>();
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    for (const id of created)
      await stack.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await stack.stop();
  });
  const apply = async (defs: ScheduleDefinition[]) => {
    for (const d of defs) created.add(d.id);
    return applySchedules(stack.client, defs);
  };

  const eventually = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  test('apply creates the declared schedules, changes nothing when run again, and updates one drifted spec only', async () => {
    const defs = scheduleDefinitions(stack.config);
    const ids = defs.map((d) => d.id);
    expect(await apply(defs)).toEqual({ created: ids, updated: [], unchanged: [] });
    expect(await apply(defs)).toEqual({ created: [], updated: [], unchanged: ids });

    const reconcileId = `${stack.config.temporal.taskQueuePrefix}reconcile-orders`;
    await pauseSchedule(stack.client, reconcileId, 'shop API migration');
    const changed = defs.map((d): ScheduleDefinition =>
      d.id === reconcileId ? { ...d, spec: { ...d.spec, every: '2h' } } : d,
    );
    expect(await apply(changed)).toEqual({
      created: [],
      updated: [reconcileId],
      unchanged: ids.filter((i) => i !== reconcileId),
    });
    expect(await apply(changed)).toEqual({ created: [], updated: [], unchanged: ids });

    const description = await stack.client.schedule.getHandle(reconcileId).describe();
    expect(description.spec.intervals).toEqual([expect.objectContaining({ every: 2 * 60 * 60 * 1000 })]);
    // The operator's pause survives the update.
    expect(description.state.paused).toBe(true);
    expect(description.state.note).toMatch(/^shop API migration \(paused at /);

    const contactSync = await describeSchedule(
      stack.client,
      defs,
      `${stack.config.temporal.taskQueuePrefix}contact-sync`,
    );
    expect(contactSync).toMatchObject({ exists: true, paused: false, workflowType: 'contactSync' });
    expect(contactSync.nextRuns.length).toBeGreaterThan(0);
    // 02:00 in Warsaw is 00:00 or 01:00 UTC, depending on the season.
    expect(new Date(contactSync.nextRuns[0]!).getUTCHours()).toBeLessThanOrEqual(1);
  });

  test('two replicas starting at once both apply the schedules: one creates each, the other finds it unchanged', async () => {
    const config = {
      ...stack.config,
      temporal: { ...stack.config.temporal, taskQueuePrefix: `${stack.config.temporal.taskQueuePrefix}replicas-` },
    };
    const defs = scheduleDefinitions(config);
    const ids = defs.map((d) => d.id);
    const results = await Promise.all([apply(defs), apply(defs)]);
    for (const id of ids) {
      expect(results.filter((r) => r.created.includes(id))).toHaveLength(1);
      expect(results.filter((r) => r.unchanged.includes(id))).toHaveLength(1);
    }
  });

  test('trigger runs the action now; backfill runs each missed hour with its own window', async () => {
    const prefix = stack.config.temporal.taskQueuePrefix;
    const [reconcile] = scheduleDefinitions(stack.config).filter((d) => d.workflowType === 'reconcileOrders');
    const def: ScheduleDefinition = { ...reconcile!, id: `${prefix}reconcile-bf` };
    await apply([def]);

    await triggerSchedule(stack.client, def.id);
    await eventually(async () => {
      const [summary] = await listSchedules(stack.client, [def]);
      return summary?.recentRuns[0]?.status === 'COMPLETED' ? summary : undefined;
    });

    const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 1);
    const from = new Date(to.getTime() - 3 * 3_600_000 + 1);
    await backfillSchedule(stack.client, def.id, from, to);
    const results = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of stack.client.workflow.list({ query: `TemporalScheduledById = "${def.id}"` })) {
        if (wf.status.name === 'COMPLETED') ids.push(wf.workflowId);
      }
      return ids.length >= 4 ? ids : undefined;
    });
    const windows = await Promise.all(
      results.map(async (id) => (await stack.client.workflow.getHandle(id).result()) as ReconcileOrdersResult),
    );
    const ends = windows.map((w) => w.window.until).sort();
    // Three backfilled hours, each ending 10 min (the grace) after its nominal hour, plus the triggered run.
    expect(ends).toHaveLength(4);
    const hourly = ends.slice(0, 3).map((e) => new Date(e).getTime());
    expect(hourly[1]! - hourly[0]!).toBe(3_600_000);
    expect(hourly[2]! - hourly[1]!).toBe(3_600_000);
  });

  test('the watchdog raises exactly one alert for a failing schedule and one for a schedule paused too long', async () => {
    const prefix = stack.config.temporal.taskQueuePrefix;
    const taskQueue = `${prefix}switchyard`;
    // The shop rejects every call: each reconciliation fails at once.
    stack.sandbox.systems.shop.setFaults({
      ...stack.sandbox.systems.shop.faults,
      respondNext: { status: 400, count: 1_000_000 },
    });
    const base = {
      workflowType: 'reconcileOrders' as const,
      args: [{ lookbackMinutes: 60, graceMinutes: 0 }] as [{ lookbackMinutes: number; graceMinutes: number }],
      taskQueue,
      overlap: 'SKIP' as const,
      catchupWindow: '1 minute',
      description: 'test',
    };
    const failing: ScheduleDefinition = {
      ...base,
      id: `${prefix}failing`,
      spec: { every: '2s', timeZone: 'UTC' },
      expectedIntervalMs: 60_000,
    };
    const paused: ScheduleDefinition = {
      ...base,
      id: `${prefix}paused`,
      spec: { every: '1h', timeZone: 'UTC' },
      expectedIntervalMs: 3_600_000,
    };
    const defs = withWatchdog([failing, paused], {
      id: `${prefix}watchdog`,
      every: '2s',
      expectedIntervalMs: 60_000,
      pausedAlertAfterMs: 1_000,
      taskQueue,
      timeZone: 'UTC',
    });
    await apply(defs);
    await pauseSchedule(stack.client, paused.id, 'testing');

    const scheduleAlerts = () => stack.sandbox.data.alerts.received.filter((a) => a.payload.kind === 'schedule');
    await eventually(async () => (scheduleAlerts().length >= 2 ? true : undefined));
    // Several more checks pass: still one alert per problem.
    const watchdogRuns = async () => {
      let n = 0;
      for await (const wf of stack.client.workflow.list({ query: `TemporalScheduledById = "${prefix}watchdog"` })) {
        if (wf.status.name === 'COMPLETED') n += 1;
      }
      return n;
    };
    const seen = await watchdogRuns();
    await eventually(async () => ((await watchdogRuns()) >= seen + 3 ? true : undefined));

    const byProblem = scheduleAlerts().map((a) => `${a.payload.schedule_id}:${a.payload.problem}`);
    expect(byProblem.sort()).toEqual([`${failing.id}:last-run-failed`, `${paused.id}:paused-too-long`]);
    for (const d of defs) await stack.client.schedule.getHandle(d.id).pause('test over');
  });
});
