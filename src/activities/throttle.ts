// A per-system gate in the worker process, consulted by the client layer before every call. It does two things:
// - after a 429 (or 503 with Retry-After) it closes for that window, so every later call to the same system, from
//   any activity of this process, waits it out rather than only the activity that was told;
// - it spaces calls to each system at its configured rate (with 5 % headroom), smoothing the bursts that the
//   server-side limit (maxTaskQueueActivitiesPerSecond, a token bucket) lets through.
// It is per process: other replicas learn a Retry-After window from their own first 429, and the rate across
// replicas is the server's task-queue limit.

const HEADROOM = 1.05;
// The rolling window the rate is counted over, with the same headroom for lag on the receiving side.
const WINDOW_MS = 1000 * HEADROOM;

/** Closed windows and call spacing per system, in epoch milliseconds. */
export class ThrottleGate {
  private readonly until = new Map<string, number>();
  private readonly spacingMs = new Map<string, number>();
  private readonly nextSlot = new Map<string, number>();
  private readonly perSecond = new Map<string, number>();
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Spaces calls to `system` at no more than `perSecond` from this process. */
  setRate(system: string, perSecond: number): void {
    this.spacingMs.set(system, (1000 / perSecond) * HEADROOM);
    this.perSecond.set(system, perSecond);
  }

  /** Closes the gate of `system` for `ms` from now; a longer window already in place wins. */
  closeFor(system: string, ms: number): void {
    const until = this.now() + ms;
    if (until > (this.until.get(system) ?? 0)) this.until.set(system, until);
  }

  /** Milliseconds until `system` may be called again because it asked us to wait (0 when open). */
  remainingMs(system: string): number {
    const until = this.until.get(system);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.until.delete(system);
    return Math.max(0, left);
  }

  /**
   * Reserves the caller's turn: the milliseconds to wait before calling `system`, counting both a closed window and
   * the spacing of the calls before it. When the turn is further away than `maxWaitMs`, nothing is reserved and
   * the time to the turn comes back for the caller to retry then.
   */
  reserve(system: string, maxWaitMs: number): { waitMs: number } | { retryInMs: number } {
    const now = this.now();
    const open = now + this.remainingMs(system);
    const slot = Math.max(open, this.nextSlot.get(system) ?? 0);
    if (slot - now > maxWaitMs) return { retryInMs: slot - now };
    this.nextSlot.set(system, slot + (this.spacingMs.get(system) ?? 0));
    return { waitMs: slot - now };
  }

  /**
   * Checked right before a call goes out: turns are reserved ahead of time, and a turn taken late (event-loop lag)
   * would otherwise bunch up with the next ones. Returns 0 and records the call when fewer than the rate were sent in
   * the last window; else the milliseconds until one of them leaves it.
   */
  admit(system: string): number {
    const limit = this.perSecond.get(system);
    if (limit === undefined) return 0;
    const now = this.now();
    const recent = (this.sent.get(system) ?? []).filter((t) => t > now - WINDOW_MS);
    this.sent.set(system, recent);
    if (recent.length >= limit) return recent[recent.length - limit]! + WINDOW_MS - now;
    recent.push(now);
    return 0;
  }
}
