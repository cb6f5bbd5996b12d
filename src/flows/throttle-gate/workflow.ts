import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  closeGateUpdate,
  GATE_MEMO_KEY,
  type GateClosure,
  type GateWindow,
  MAX_GATE_WINDOW_MS,
} from '../../contracts/throttle-gate';

// One per downstream system, alive while the system has asked us to wait. A worker replica that meets a 429 reports
// the window here (Update-With-Start, so the first report starts it); the gate keeps the longest window and publishes
// it in its memo, which every replica reads before calling the system. When the window has passed the run completes:
// each throttling episode is one execution in the Web UI, with who reported it and why.

/** Keeps `system`'s window until it has passed. `carried` is the window a continued run started with. */
export async function throttleGate(system: string, carried?: GateWindow): Promise<GateWindow> {
  let window: GateWindow = carried ?? { closedUntil: 0, reason: '', by: '', closures: 0 };
  setHandler(
    closeGateUpdate,
    (closure: GateClosure) => {
      window = { ...window, closures: window.closures + 1 };
      if (closure.until > window.closedUntil) {
        window = { ...window, closedUntil: closure.until, reason: closure.reason, by: closure.by };
      }
      upsertMemo({ [GATE_MEMO_KEY]: window });
      return window;
    },
    {
      validator: (closure: GateClosure) => {
        if (!Number.isFinite(closure.until) || closure.until - Date.now() > MAX_GATE_WINDOW_MS) {
          throw ApplicationFailure.nonRetryable(
            `a closure of ${system}'s gate must end within ${MAX_GATE_WINDOW_MS} ms, got until=${closure.until}`,
            'InvalidGateClosure',
          );
        }
      },
    },
  );
  if (carried) upsertMemo({ [GATE_MEMO_KEY]: window });
  // Started by the first report, which this first task handles before the wait begins.
  await condition(() => window.closedUntil > 0);
  for (;;) {
    const left = window.closedUntil - Date.now();
    if (left <= 0) break;
    // A storm of reports is bounded by the client layer (it reports only a longer window than it knows); continue
    // as new if one still makes the history long.
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof throttleGate>(system, window);
    }
    await sleep(left);
  }
  await condition(allHandlersFinished);
  return window;
}
