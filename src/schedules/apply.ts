import { createHash } from 'node:crypto';
import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleDescription,
  ScheduleNotFoundError,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { encryptingKeyIdOf, keyIdOf } from '../temporal/codec';
import { readingClient } from '../temporal/reading-client';
import { type ScheduleDefinition, scheduleDefinitions } from './definitions';

// Declared schedules → the namespace, idempotently: create what is missing, update what drifted from its
// declaration or is stored under another key than the one that encrypts now, leave everything else (and every
// schedule's paused state and note) alone. Schedules are read through a reading client, so one stored under a key
// that is no longer configured is rewritten instead of failing the apply (and the worker's start with it).

/** The memo key under which a schedule's action remembers the declaration it was applied from. */
export const DEFINITION_MEMO = 'switchyardDefinition';

export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/** A fingerprint of everything a declaration controls: a changed one means the schedule must be updated. */
export function fingerprint(def: ScheduleDefinition): string {
  const { description: _d, expectedIntervalMs: _e, syncStateId: _s, ...controlled } = def;
  return createHash('sha256').update(JSON.stringify(controlled)).digest('hex').slice(0, 16);
}

function specOf(def: ScheduleDefinition): ScheduleOptions['spec'] {
  return 'cron' in def.spec
    ? { cronExpressions: [def.spec.cron], timezone: def.spec.timeZone }
    : { intervals: [{ every: def.spec.every }], timezone: def.spec.timeZone };
}

function actionOf(def: ScheduleDefinition) {
  return {
    type: 'startWorkflow' as const,
    workflowType: def.workflowType,
    args: def.args,
    taskQueue: def.taskQueue,
    // The schedule appends the nominal time, so each run has its own id.
    workflowId: def.id,
    memo: { [DEFINITION_MEMO]: fingerprint(def), description: def.description },
  };
}

function policiesOf(def: ScheduleDefinition): ScheduleOptions['policies'] {
  return { overlap: def.overlap, catchupWindow: def.catchupWindow };
}

/** The fingerprint a described schedule was last applied with, if any. */
export function appliedFingerprint(description: ScheduleDescription): string | undefined {
  const action = description.action as { memo?: Record<string, unknown> };
  const value = action.memo?.[DEFINITION_MEMO];
  return typeof value === 'string' ? value : undefined;
}

/** Whether any payload of `payloads` is not encrypted with `keyId` (plain ones too, once encryption is on). */
function notUnder(payloads: readonly temporal.api.common.v1.IPayload[], keyId: string | undefined): boolean {
  return payloads.some((p) => keyIdOf(p) !== keyId);
}

/**
 * Applies `definitions`. Running it twice changes nothing the second time, and so does running it twice at once.
 * A schedule stored under another key than the client's first one is rewritten under it: that is how a key rotation
 * re-encrypts the schedules.
 */
export async function applySchedules(client: Client, definitions: ScheduleDefinition[]): Promise<ApplyResult> {
  const result: ApplyResult = { created: [], updated: [], unchanged: [] };
  const keyId = encryptingKeyIdOf(client.options.dataConverter);
  for (const def of definitions) {
    const outcome = await applyOne(client, def, keyId);
    result[outcome].push(def.id);
  }
  return result;
}

async function create(
  client: Client,
  def: ScheduleDefinition,
  kept: Pick<ScheduleOptions, 'state' | 'policies'> = {},
): Promise<void> {
  // No memo of the schedule's own: the description is in its action's memo, which an update can rewrite; a
  // schedule's own memo can only be written when it is created.
  await client.schedule.create({
    scheduleId: def.id,
    spec: specOf(def),
    action: actionOf(def),
    policies: { ...kept.policies, ...policiesOf(def) },
    state: kept.state,
  });
}

/**
 * Deletes and creates the schedule again, paused or not, with its note and pause-on-failure, for what an update
 * cannot rewrite (its own memo). Its list of recent runs starts again empty; the runs it started are not touched.
 */
async function recreate(client: Client, def: ScheduleDefinition, previous: ScheduleDescription): Promise<void> {
  try {
    await client.schedule.getHandle(def.id).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  try {
    await create(client, def, {
      state: { paused: previous.state.paused, note: previous.state.note },
      policies: previous.policies,
    });
  } catch (err) {
    // Another replica recreated it at the same moment, from the same declaration.
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

async function applyOne(
  client: Client,
  def: ScheduleDefinition,
  keyId: string | undefined,
): Promise<keyof ApplyResult> {
  const handle = readingClient(client).schedule.getHandle(def.id);
  let description: ScheduleDescription | undefined;
  try {
    description = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (!description) {
    try {
      await create(client, def);
      return 'created';
    } catch (err) {
      // Another replica, starting at the same moment, created it between our describe and our create: compare
      // with what it applied, as if it had been there all along.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      description = await handle.describe();
    }
  }
  if (notUnder(Object.values(description.raw.memo?.fields ?? {}), keyId)) {
    await recreate(client, def, description);
    return 'updated';
  }
  const start = description.raw.schedule?.action?.startWorkflow;
  const stale =
    notUnder(start?.input?.payloads ?? [], keyId) || notUnder(Object.values(start?.memo?.fields ?? {}), keyId);
  if (!stale && appliedFingerprint(description) === fingerprint(def)) return 'unchanged';
  // Through the reading client, whose encoding is the client's own: the new action is encrypted with the first key.
  await handle.update((previous): ScheduleUpdateOptions => ({
    ...previous,
    spec: specOf(def),
    action: actionOf(def),
    policies: { ...previous.policies, ...policiesOf(def) },
    // Paused or not, and the operator's note, stay as they are.
    state: previous.state,
  }));
  return 'updated';
}

/** The worker's start: applies the declared schedules unless SCHEDULES_APPLY_ON_START=false (tests, read-only replicas). */
export async function applySchedulesAtStart(
  client: Client,
  config: Config,
  logger: Pick<Logger, 'info'>,
): Promise<ApplyResult | undefined> {
  if (!config.schedules.applyOnStart) return undefined;
  const result = await applySchedules(client, scheduleDefinitions(config));
  logger.info(result, 'schedules applied');
  return result;
}
