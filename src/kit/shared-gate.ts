import os from 'node:os';
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import {
  closeGateUpdate,
  GATE_MEMO_KEY,
  type GateWindow,
  THROTTLE_GATE_WORKFLOW,
  throttleGateId,
} from '../contracts/throttle-gate';
import type { Logger } from '../logger';
import type { SharedWindows } from './throttle';

// The gate's windows shared across worker replicas through Temporal itself: a report is an Update-With-Start to the
// system's throttle-gate workflow, and a read is a DescribeWorkflowExecution of it (its memo), which the server
// answers from the execution's state without a worker. Reads are coalesced: the callers of one system that arrive
// while a read is in flight share it, so each process has at most one read per system outstanding.
//
// A call does not wait for a read: what was read less than `maxAgeMs` ago (500 ms) is the answer, and once it is
// half that old the next caller starts a fresh read in the background. So while a system is called steadily, no call
// makes a round trip to Temporal, and no call goes on a read older than `maxAgeMs` (plus the read's own time): a window
// another replica reported holds this one within that. Only a system not called for a while, or the first call to it,
// waits for its read.
//
// Temporal unreachable or slow: the read answers "open" after `timeoutMs` and the report is dropped, both logged and
// counted. The local gate still holds, and the system's own 429 is the backstop; a throttle gate must never be the
// reason a call fails.

export interface SharedGateOptions {
  client: Client;
  /** TASK_QUEUE_PREFIX: deployments sharing a namespace have gates of their own. */
  prefix: string;
  /** The orchestration queue, where the gate workflow runs. */
  taskQueue: string;
  logger: Logger;
  /** Deadline of each read and report (default 2 s). */
  timeoutMs?: number;
  /** The oldest read a call goes on (default SHARED_READ_MAX_AGE_MS); a read half as old is refreshed ahead. */
  maxAgeMs?: number;
  /** This worker's identity in reports (default pid@host, as the SDK's worker identity). */
  identity?: string;
  /** Called when a read or report could not reach Temporal. */
  onUnavailable?(system: string, operation: 'read' | 'report'): void;
  /** Called when this process reported a window. */
  onReported?(system: string): void;
}

/** How old a read of the shared window a call may go on, by default. */
export const SHARED_READ_MAX_AGE_MS = 500;

export function createSharedWindows(options: SharedGateOptions): SharedWindows {
  const { client, prefix, taskQueue, logger } = options;
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxAgeMs = options.maxAgeMs ?? SHARED_READ_MAX_AGE_MS;
  const identity = options.identity ?? `${process.pid}@${os.hostname()}`;
  const reading = new Map<string, Promise<number>>();
  /** The latest read of each system: the window, and when the read was sent (its age counts from there). */
  const known = new Map<string, { until: number; at: number }>();

  function refresh(system: string): Promise<number> {
    let pending = reading.get(system);
    if (!pending) {
      const at = Date.now();
      pending = read(system)
        .then((until) => {
          // This process's own reports close its gate directly (ThrottleGate.report), so the read is all to keep.
          known.set(system, { until, at });
          return until;
        })
        .finally(() => reading.delete(system));
      reading.set(system, pending);
    }
    return pending;
  }

  const withDeadline = <T>(fn: () => Promise<T>) => client.connection.withDeadline(Date.now() + timeoutMs, fn);

  async function read(system: string): Promise<number> {
    try {
      const description = await withDeadline(() =>
        client.workflow.getHandle(throttleGateId(prefix, system)).describe(),
      );
      const window = description.memo?.[GATE_MEMO_KEY] as GateWindow | undefined;
      return typeof window?.closedUntil === 'number' ? window.closedUntil : 0;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 0;
      options.onUnavailable?.(system, 'read');
      logger.warn({ err, system }, 'could not read the shared throttle gate; going on with what this process knows');
      return 0;
    }
  }

  return {
    closedUntil(system) {
      const last = known.get(system);
      const age = last ? Date.now() - last.at : Infinity;
      if (!last || age >= maxAgeMs) return refresh(system);
      if (age >= maxAgeMs / 2) void refresh(system);
      return Promise.resolve(last.until);
    },

    async close(system, until, reason) {
      const report = () =>
        withDeadline(() =>
          client.workflow.executeUpdateWithStart(closeGateUpdate, {
            args: [{ until, reason, by: identity }],
            startWorkflowOperation: new WithStartWorkflowOperation(THROTTLE_GATE_WORKFLOW, {
              workflowId: throttleGateId(prefix, system),
              taskQueue,
              args: [system],
              workflowIdConflictPolicy: 'USE_EXISTING',
            }),
          }),
        );
      try {
        try {
          await report();
        } catch (err) {
          // The gate's run may have completed between our report's start and its update: the next report starts a
          // new run.
          logger.debug({ err, system }, 'reporting to the throttle gate failed once; reporting again');
          await report();
        }
        options.onReported?.(system);
      } catch (err) {
        options.onUnavailable?.(system, 'report');
        logger.warn({ err, system, until }, 'could not report a throttle window to the shared gate');
      }
    },
  };
}
