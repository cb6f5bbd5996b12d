import { createHash } from 'node:crypto';
import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleDescription,
  ScheduleNotFoundError,
  type ScheduleOptions,
  type ScheduleUpdateOptions,
} from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { type ScheduleDefinition, scheduleDefinitions } from './definitions';

// Declared schedules → the namespace, idempotently: create what is missing, update what drifted from its
// declaration, leave everything else (and every schedule's paused state and note) alone.

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

/** Applies `definitions`. Running it twice changes nothing the second time, and so does running it twice at once. */
export async function applySchedules(client: Client, definitions: ScheduleDefinition[]): Promise<ApplyResult> {
  const result: ApplyResult = { created: [], updated: [], unchanged: [] };
  for (const def of definitions) {
    const outcome = await applyOne(client, def);
    result[outcome].push(def.id);
  }
  return result;
}

async function applyOne(client: Client, def: ScheduleDefinition): Promise<keyof ApplyResult> {
  const handle = client.schedule.getHandle(def.id);
  let description: ScheduleDescription | undefined;
  try {
    description = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (!description) {
    try {
      await client.schedule.create({
        scheduleId: def.id,
        spec: specOf(def),
        action: actionOf(def),
        policies: policiesOf(def),
        memo: { description: def.description },
      });
      return 'created';
    } catch (err) {
      // Another replica, starting at the same moment, created it between our describe and our create: compare
      // with what it applied, as if it had been there all along.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      description = await handle.describe();
    }
  }
  if (appliedFingerprint(description) === fingerprint(def)) return 'unchanged';
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
