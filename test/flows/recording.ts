import path from 'node:path';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Config } from '../../src/config';
import { commandResultUpdate } from '../../src/contracts/commands';
import { queueFor } from '../../src/contracts/task-queues';
import { BUSINESS_KEY, EVENT_ID, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../../src/domain/search-attributes';
import type { Faults } from '../../src/kit/stand-in';
import type { Sandbox } from '../../src/sandbox/server';

// Each flow's history-recording driver is test/flows/<flow folder>/recording.ts, beside its tests: how
// `npm run record-histories` (test/replay/record-histories.ts) drives the workflow type through each scenario, setting the
// sandbox's faults and starting the workflow the way its ingress, schedule or command API would. The replay test
// replays each recorded history against the current code and fails for a declared flow without a recording.

export const SCENARIOS = ['success', 'retry', 'failure'] as const;

export interface StartIds {
  workflowId: string;
  /** The ingress's search attributes; none for workflows a schedule or an activity starts. */
  searchAttributes?: SearchAttributePair[];
}

export interface Harness {
  config: Config;
  /** The sandbox's systems and data, to seed records a scenario needs. */
  sandbox: Sandbox;
  client: Client;
  /** Sets the faults of a sandbox system from a clean state. */
  faults(system: string, faults: Partial<Faults>): void;
  /** Answers the next `n` alert-webhook deliveries 500 (the sandbox's alert inbox has no faults of its own). */
  failAlerts(n: number): void;
  /** Starts a workflow on the orchestration queue; resolves with its end. */
  start(type: string, args: unknown[], ids: StartIds): Promise<{ done: Promise<void> }>;
  run(type: string, args: unknown[], ids: StartIds): Promise<void>;
  /**
   * Workers of another deployment on the same server and sandbox (a prefix of its own), with `env` on top of the
   * recording's: a connector selected (ACCOUNTING_CONNECTOR=xero). Stopped when the recording ends.
   */
  deployment(env: Record<string, string>): Promise<{ config: Config }>;
}

/** Resolves with the workflow id whose (latest, or the given) run's history is recorded. */
export type Step = (h: Harness, id: string) => Promise<string | { workflowId: string; runId: string }>;

/** A flow's driver: a step per scenario, and the scenarios recorded when they are not SCENARIOS. */
export interface Recording {
  scenarios?: readonly string[];
  steps: Record<string, Step>;
}

/** Declares a recording; without `scenarios`, each of SCENARIOS must have a step. */
export function defineRecording<const S extends string>(
  r: { scenarios: readonly S[]; steps: Record<S, Step> } | { steps: Record<(typeof SCENARIOS)[number], Step> },
): Recording {
  return r;
}

/** The flow folder a workflow type lives in: orderPaid → order-paid (src/flows/<folder>, test/flows/<folder>). */
export function flowFolder(type: string): string {
  return type.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The recording of `type`, or undefined when its folder has none. */
export function recordingOf(type: string): Recording | undefined {
  const file = path.join(__dirname, flowFolder(type), 'recording.ts');
  try {
    require.resolve(file);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by name, one folder per flow.
  return (require(file) as { recording: Recording }).recording;
}

/** The scenarios recorded for `type`. */
export function scenariosOf(type: string): readonly string[] {
  return recordingOf(type)?.scenarios ?? SCENARIOS;
}

export function searchAttributes(source: string, eventType: string, eventId: string, businessKey: string) {
  return [
    { key: SOURCE, value: source },
    { key: EVENT_TYPE, value: eventType },
    { key: EVENT_ID, value: eventId },
    { key: BUSINESS_KEY, value: businessKey },
    { key: INTEGRATION_STATUS, value: 'processing' },
  ] satisfies SearchAttributePair[];
}

/** Runs an /api/v1 command as the API does: Update-With-Start of commandResultUpdate; a failed answer is expected. */
export async function runCommandAsApi(h: Harness, type: string, input: { bodyHash: string } & Record<string, unknown>) {
  const workflowId = `api:record:${type}-${input.bodyHash}`;
  try {
    await h.client.workflow.executeUpdateWithStart(commandResultUpdate, {
      args: [input.bodyHash],
      updateId: `result:${input.bodyHash}`,
      startWorkflowOperation: new WithStartWorkflowOperation(type, {
        workflowId,
        taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        memo: { bodyHash: input.bodyHash, client: 'record' },
      }),
    });
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
  }
  await h.client.workflow
    .getHandle(workflowId)
    .result()
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowFailedError)) throw err;
    });
  return workflowId;
}
