// A per-system gate in the worker process. When a system answers 429 (or 503 with Retry-After), the gate closes
// for that window and every later call to the same system, from any activity of this process, waits it out or
// fails with nextRetryDelay = the rest of the window. It complements maxTaskQueueActivitiesPerSecond (a static
// limit enforced by the Temporal server across replicas); it is per process, so other replicas learn the window
// from their own first 429.

/** Closed windows per system, in epoch milliseconds. */
export class ThrottleGate {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Closes the gate of `system` for `ms` from now; a longer window already in place wins. */
  closeFor(system: string, ms: number): void {
    const until = this.now() + ms;
    if (until > (this.until.get(system) ?? 0)) this.until.set(system, until);
  }

  /** Milliseconds until `system` may be called again (0 when open). */
  remainingMs(system: string): number {
    const until = this.until.get(system);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.until.delete(system);
    return Math.max(0, left);
  }
}
