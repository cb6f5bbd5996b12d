import { defineUpdate } from '@temporalio/workflow';

// The contract of the shared throttle gate: one workflow per downstream system that every worker replica tells when
// the system asked us to wait (429, or 503 with Retry-After), and that every replica reads before calling it. The
// client layer (activities) and the workflow both import this; it imports neither.

/** The workflow type name: activities start it by name, since they may not import workflow code. */
export const THROTTLE_GATE_WORKFLOW = 'throttleGate';

/** The memo key under which the gate publishes its window, read with DescribeWorkflowExecution (no worker needed). */
export const GATE_MEMO_KEY = 'gate';

/** The gate's workflow id: built where every workflow id is (workflow-ids.ts). */
export { throttleGateId } from './workflow-ids';

/** What a replica reports when a system tells it to wait. */
export interface GateClosure {
  /** Epoch milliseconds until which nobody may call the system, on the reporting replica's clock. */
  until: number;
  /** What the system answered, e.g. "429 Retry-After 3000 ms" (never a URL or a body: no secrets, no personal data). */
  reason: string;
  /** The reporting worker's identity (process id and host). */
  by: string;
}

/** The gate's window as published in its memo. */
export interface GateWindow {
  closedUntil: number;
  reason: string;
  by: string;
  /** Closures reported to this run of the gate. */
  closures: number;
}

/** Reports a closure; answers the window after it (a longer window already in place wins). */
export const closeGateUpdate = defineUpdate<GateWindow, [GateClosure]>('close');

/** The longest window a gate accepts: a Retry-After beyond it is capped by the client layer long before. */
export const MAX_GATE_WINDOW_MS = 24 * 60 * 60 * 1000;
