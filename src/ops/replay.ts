import type { HistoryAndWorkflowId } from '@temporalio/client';
import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';
import { REPLAY_NAME } from '../contracts/task-queues';
import { type OpsContext, uiLink } from './context';

export interface ReplayOutcome {
  workflowId: string;
  runId: string;
  deterministic: boolean;
  /** The first command where the code and the history disagree, as the SDK names it. */
  divergence?: string;
  error?: string;
  errorName?: string;
  link?: string;
}

/**
 * The useful part of a nondeterminism message: the SDK wraps it in layers of activation-failure text, and the
 * "Nondeterminism error: …" clause names the history event and the command that disagree.
 */
export function divergenceOf(message: string): string {
  const m = /Nondeterminism error:\s*(.*?)(?:\\*"|$)/s.exec(message);
  const text = (m?.[1] ?? message).replace(/\s+/g, ' ').trim();
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/** Replays each history against the workflow code of `options` (a bundle or the workflows path). */
export async function replayHistories(
  histories: AsyncIterable<HistoryAndWorkflowId> | Iterable<HistoryAndWorkflowId>,
  options: ReplayWorkerOptions,
  ctx?: Pick<OpsContext, 'uiUrl' | 'namespace'>,
): Promise<ReplayOutcome[]> {
  const out: ReplayOutcome[] = [];
  for await (const r of Worker.runReplayHistories({ replayName: REPLAY_NAME, ...options }, histories)) {
    const outcome: ReplayOutcome = { workflowId: r.workflowId, runId: r.runId, deterministic: !r.error };
    if (r.error) {
      outcome.errorName = r.error.name;
      outcome.error = r.error.message;
      if (r.error.name === 'DeterminismViolationError') outcome.divergence = divergenceOf(r.error.message);
    }
    if (ctx && r.runId) outcome.link = uiLink(ctx, r.workflowId, r.runId);
    out.push(outcome);
  }
  return out;
}

/** Fetches histories from the server (one workflow's latest run, or every match of a query) and replays them. */
export async function replayFromServer(
  ctx: OpsContext,
  target: { workflowId?: string; query?: string },
  options: ReplayWorkerOptions,
): Promise<ReplayOutcome[]> {
  let histories: AsyncIterable<HistoryAndWorkflowId> | Iterable<HistoryAndWorkflowId>;
  if (target.workflowId) {
    const handle = ctx.client.workflow.getHandle(target.workflowId);
    histories = [{ workflowId: target.workflowId, history: await handle.fetchHistory() }];
  } else if (target.query) {
    histories = ctx.client.workflow.list({ query: target.query }).intoHistories();
  } else {
    throw new Error('replay: give a workflow id or --query');
  }
  return replayHistories(histories, options, ctx);
}
