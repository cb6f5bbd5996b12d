// Pure module: imported by workflows (to route activities) and by the worker (to serve them).
// Each third-party system has its own task queue, named after the system, so its rate limit holds across every
// workflow and replica. Queues share an optional prefix (TASK_QUEUE_PREFIX) so several deployments or test runs can
// share a namespace.

/** The queue of workflows and of the activities that only talk to Temporal itself. */
export const ORCHESTRATION_QUEUE = 'switchyard';

/** The task queue that serves `system` (a declared system's name), under `prefix`. */
export function queueFor(prefix: string, system: string): string {
  return `${prefix}${system === 'orchestration' ? ORCHESTRATION_QUEUE : system}`;
}

/** The name replays run under (Worker.runReplayHistories' `replayName`); the SDK's replay queue is "<name>-<n>". */
export const REPLAY_NAME = 'switchyard-replay';
const REPLAY_QUEUE = new RegExp(`^${REPLAY_NAME}-\\d+$`);

/** Recovers the prefix from the orchestration queue a workflow runs on. */
export function prefixOf(orchestrationQueue: string): string {
  // A replay (npm test, `npm run ops -- replay`) runs on the SDK's own queue and never schedules what it computes.
  if (REPLAY_QUEUE.test(orchestrationQueue)) return '';
  if (!orchestrationQueue.endsWith(ORCHESTRATION_QUEUE)) {
    throw new Error(
      `workflow runs on task queue "${orchestrationQueue}", expected one ending in "${ORCHESTRATION_QUEUE}"`,
    );
  }
  return orchestrationQueue.slice(0, -ORCHESTRATION_QUEUE.length);
}
