import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { type DeadLetter, dropDeadLetterUpdate, syncStateId, syncStateQuery } from '../contracts/sync-state';
import { deadLetterRetryId } from '../contracts/workflow-ids';
import { queueFor } from '../contracts/task-queues';
import type { ContactSyncResult, DeadLetterRetryResult } from '../flows/contact-sync/workflow';
import { type OpsContext, OpsInputError, uiLink } from './context';

// The contact sync's dead-letter list: records the email platform or the CRM refused on their own, kept in the
// sync-state workflow. `npm run ops -- sync-dlq list|retry|drop` and /admin/sync-dlq share these functions.

/** Which deployment: its TASK_QUEUE_PREFIX names the sync-state workflow and the queue a retry runs on. */
export interface SyncDlqTarget {
  prefix: string;
}

export interface DeadLetterList {
  stateWorkflowId: string;
  /** False until the sync's first run started its state workflow. */
  exists: boolean;
  deadLetters: DeadLetter[];
  /** Rejected records that were not kept because the list was full. */
  notKept: number;
  link?: string;
}

/** Asked for a record that is not on the list: the CLI exits 2, the admin API answers 404. */
export class DeadLetterNotFoundError extends OpsInputError {
  constructor(message: string) {
    super(message);
    this.name = 'DeadLetterNotFoundError';
  }
}

const stateIdOf = (target: SyncDlqTarget) => syncStateId(target.prefix, 'contact');

/** The records on the list, oldest first. */
export async function listDeadLetters(ctx: OpsContext, target: SyncDlqTarget): Promise<DeadLetterList> {
  const stateWorkflowId = stateIdOf(target);
  const handle = ctx.client.workflow.getHandle(stateWorkflowId);
  try {
    const [state, description] = await Promise.all([handle.query(syncStateQuery), handle.describe()]);
    return {
      stateWorkflowId,
      exists: true,
      deadLetters: state.deadLetters ?? [],
      notKept: state.deadLettersNotKept ?? 0,
      link: uiLink(ctx, stateWorkflowId, description.runId),
    };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return { stateWorkflowId, exists: false, deadLetters: [], notKept: 0 };
  }
}

/** Takes one record off the list without sending it; returns it. */
export async function dropDeadLetter(ctx: OpsContext, target: SyncDlqTarget, id: string): Promise<DeadLetter> {
  const stateWorkflowId = stateIdOf(target);
  try {
    return await ctx.client.workflow.getHandle(stateWorkflowId).executeUpdate(dropDeadLetterUpdate, { args: [id] });
  } catch (err) {
    const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === 'DeadLetterNotFound') {
      throw new DeadLetterNotFoundError(`sync-dlq: ${id} is not on the dead-letter list (\`sync-dlq list\` shows it)`);
    }
    if (err instanceof WorkflowNotFoundError) {
      throw new DeadLetterNotFoundError(`sync-dlq: no sync state ${stateWorkflowId} yet, so no dead-letter list`);
    }
    throw err;
  }
}

export interface RetryReport extends DeadLetterRetryResult {
  /** The contactSync execution that re-sent them; absent when there was nothing to retry. */
  workflowId?: string;
  link?: string;
  /** True when it had not finished within the wait: follow it with the link. */
  running?: boolean;
}

/**
 * Re-sends one listed record, or all, through the activity that refused it, in a contactSync execution whose id
 * names the records and their attempt counts: a repeated request while one runs joins it instead of sending twice.
 * Delivered records leave the list; the others stay with one attempt more. The execution holds the sync's writer
 * lease while it sends: when a sync run holds it (it may be writing a newer version of the record), nothing is sent
 * and the report carries `busy` (the CLI exits 1 with NOT RETRIED, the admin API answers 409).
 */
export async function retryDeadLetters(
  ctx: OpsContext,
  target: SyncDlqTarget,
  options: { id?: string; waitMs?: number } = {},
): Promise<RetryReport> {
  const { deadLetters } = await listDeadLetters(ctx, target);
  const entries = options.id ? deadLetters.filter((e) => e.id === options.id) : deadLetters;
  if (options.id && entries.length === 0) {
    throw new DeadLetterNotFoundError(
      `sync-dlq: ${options.id} is not on the dead-letter list (\`sync-dlq list\` shows it)`,
    );
  }
  if (entries.length === 0) return { delivered: [], rejected: [], missing: [] };
  const digest = createHash('sha256')
    .update(JSON.stringify(entries.map((e) => [e.id, e.attempts])))
    .digest('base64url')
    .slice(0, 16);
  const workflowId = deadLetterRetryId(target.prefix, 'contact', options.id || undefined, digest);
  const handle = await ctx.client.workflow.start('contactSync', {
    workflowId,
    taskQueue: queueFor(target.prefix, 'orchestration'),
    args: [{ retryDeadLetters: { ids: options.id ? [options.id] : undefined } }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const link = uiLink(ctx, workflowId, handle.firstExecutionRunId);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), options.waitMs ?? 60_000);
  });
  try {
    const result = (await Promise.race([handle.result(), waited])) as ContactSyncResult | undefined;
    if (!result) {
      return {
        delivered: [],
        rejected: [],
        missing: [],
        workflowId,
        link,
        running: true,
      };
    }
    return { ...(result.retried ?? { delivered: [], rejected: [], missing: [] }), workflowId, link };
  } finally {
    clearTimeout(timer);
  }
}
