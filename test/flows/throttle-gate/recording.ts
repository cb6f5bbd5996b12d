import { WithStartWorkflowOperation } from '@temporalio/client';
import { queueFor } from '../../../src/contracts/task-queues';
import { closeGateUpdate, throttleGateId } from '../../../src/contracts/throttle-gate';
import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives throttleGate through its scenarios (test/flows/recording.ts).

/** Reports a window as the client layer does (Update-With-Start, USE_EXISTING), as worker `by`. */
function reportWindow(h: Harness, workflowId: string, ms: number, by: string) {
  return h.client.workflow.executeUpdateWithStart(closeGateUpdate, {
    args: [{ until: Date.now() + ms, reason: `answered 429: wait ${ms} ms`, by }],
    startWorkflowOperation: new WithStartWorkflowOperation('throttleGate', {
      workflowId,
      taskQueue: queueFor(h.config.temporal.taskQueuePrefix, 'orchestration'),
      args: ['accounting'],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

// A throttle gate has no activities and no error path (a bad report is refused by its validator, leaving no events):
// it records a window reported by two replicas, and one extended while it waited.
export const recording = defineRecording({
  scenarios: ['success', 'extended'],
  steps: {
    // Two replicas report the same 429 within a moment: the second report, no longer, changes nothing.
    success: async (h, id) => {
      const workflowId = throttleGateId(h.config.temporal.taskQueuePrefix, id);
      await reportWindow(h, workflowId, 1500, '101@worker-a');
      await reportWindow(h, workflowId, 1000, '202@worker-b');
      await h.client.workflow.getHandle(workflowId).result();
      return workflowId;
    },
    // A longer window reported while the gate waits out the first: it waits again, until the longer one ends.
    extended: async (h, id) => {
      const workflowId = throttleGateId(h.config.temporal.taskQueuePrefix, id);
      await reportWindow(h, workflowId, 1000, '101@worker-a');
      await new Promise((r) => setTimeout(r, 300));
      await reportWindow(h, workflowId, 2000, '202@worker-b');
      await h.client.workflow.getHandle(workflowId).result();
      return workflowId;
    },
  },
});
