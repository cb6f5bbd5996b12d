// Pure module: imported by workflows (to route activities) and by the worker (to serve them).
// Each third-party system has its own task queue, so its rate limit holds across every workflow and replica.
// Queues share an optional prefix (TASK_QUEUE_PREFIX) so several deployments or test runs can share a namespace.

export const ORCHESTRATION_QUEUE = 'switchyard';

export type QueueSystem = 'accounting' | 'email-platform' | 'crm' | 'shop' | 'alerts';

/** The task queue that serves `system`, under `prefix`. */
export function queueFor(prefix: string, system: QueueSystem | 'orchestration'): string {
  return `${prefix}${system === 'orchestration' ? ORCHESTRATION_QUEUE : system}`;
}

/** Recovers the prefix from the orchestration queue a workflow runs on. */
export function prefixOf(orchestrationQueue: string): string {
  if (!orchestrationQueue.endsWith(ORCHESTRATION_QUEUE)) {
    throw new Error(
      `workflow runs on task queue "${orchestrationQueue}", expected one ending in "${ORCHESTRATION_QUEUE}"`,
    );
  }
  return orchestrationQueue.slice(0, -ORCHESTRATION_QUEUE.length);
}
