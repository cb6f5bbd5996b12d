import { type ProviderLimits, WindowBudget } from './provider-limits';

// A per-system gate in the worker process, consulted by the client layer before every call. It does two things:
// - after a 429 (or 503 with Retry-After) it closes for that window, so every later call to the same system, from
//   any activity of this process, waits it out rather than only the activity that was told;
// - it spaces calls to each system below its configured rate, smoothing the bursts that the server-side limit
//   (maxTaskQueueActivitiesPerSecond, a token bucket) lets through.
// Windows are shared across replicas when a `shared` store is given (the workers and the API pass one backed by a
// gate workflow per system, see shared-gate.ts): a window one replica was told is reported there, and every replica
// reads it before calling. Each process spaces its calls at its own share of the system's budget: a worker at the
// workers' share (whose sum across replicas the server's task-queue limit holds), an API replica at its reads' share
// (docs/rate-limits.md has the arithmetic).
//
// Counting until the answer: a provider's limiter counts a call when it arrives, which is after it left and before its
// answer came back. So the gate counts each call from the moment it leaves until one window (1000 ms) after its answer:
// whatever the lag on either side, every call the provider still counts when a new one arrives is one the gate still
// counted when that call left, and no more than `limit` arrive in any of the provider's seconds. That holds with no
// margin at all, which is the default. Headroom (RATE_LIMIT_HEADROOM_PERCENT) stretches the spacing and the window by
// a percentage, for a provider whose count is not of arrivals in a rolling or fixed window of its own.

/** How often a caller looks again while the calls that fill a system's window are still in flight. */
const IN_FLIGHT_POLL_MS = 25;

/**
 * The longest window a Retry-After closes a system for. A longer one (a daily quota, or a bogus value) is held this
 * long, and then one call asks again: the provider answers with what is left of its window.
 */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/** The window of a throttling answer without Retry-After, doubled for each further one in a row up to the maximum. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
export const MAX_DEFAULT_RETRY_AFTER_MS = 30_000;

/**
 * How long a throttling answer closes its system for: the provider's Retry-After, up to MAX_RETRY_AFTER_MS; without
 * one, DEFAULT_RETRY_AFTER_MS doubled for each of the `unhinted` such answers in a row before it, up to
 * MAX_DEFAULT_RETRY_AFTER_MS.
 */
export function throttleWindowMs(retryAfterMs: number | undefined, unhinted = 0): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS);
  return Math.min(DEFAULT_RETRY_AFTER_MS * 2 ** Math.min(unhinted, 30), MAX_DEFAULT_RETRY_AFTER_MS);
}

/** Headroom below each system's rate limit when none is given. */
export const DEFAULT_HEADROOM_PERCENT = 0;

/** Windows shared by every replica: where a replica reports what it was told, and reads what the others were. */
export interface SharedWindows {
  /** Epoch milliseconds until which `system` is closed for everyone (0, or a past time, when open). Never throws. */
  closedUntil(system: string): Promise<number>;
  /** Tells every replica that `system` is closed until `until` (epoch ms). Never throws. */
  close(system: string, until: number, reason: string): Promise<void>;
}

/** A call the gate holds back: how long, and (for a provider's declared window) which one and why. */
export interface GateHold {
  waitMs: number;
  reason?: string;
  /** A scheduled sync's call held by a window's reserve for event flows. */
  yielded?: boolean;
}

export interface ThrottleGateOptions {
  /** Windows shared across replicas; without it the gate knows only what this process was told. */
  shared?: SharedWindows;
  /** How far below each system's limit to stay, in percent (default 10: a 5 req/s limit is sent 4.5 req/s). */
  headroomPercent?: number;
  /** The clock, in epoch milliseconds (tests drive it by hand). */
  now?: () => number;
  /** Worker processes sharing each system's budget (WORKER_REPLICAS): each takes its share of a provider's windows. */
  replicas?: number;
}

/** Closed windows and call spacing per system, in epoch milliseconds. */
export class ThrottleGate {
  private readonly until = new Map<string, number>();
  private readonly spacingMs = new Map<string, number>();
  private readonly nextSlot = new Map<string, number>();
  private readonly perSecond = new Map<string, number>();
  private readonly sent = new Map<string, Array<{ answeredAt?: number }>>();
  /** Throttling answers without Retry-After in a row, per system, since its last other answer. */
  private readonly unhinted = new Map<string, number>();
  /** The latest window of each system this process reported or read from the shared store. */
  private readonly sharedUntil = new Map<string, number>();
  private readonly shared: SharedWindows | undefined;
  private readonly now: () => number;
  private readonly replicas: number;
  /** The windows a provider publishes, for systems whose connector declares them. */
  private readonly budgets = new Map<string, WindowBudget>();
  /** 1000 ms × (1 + headroom); whole numbers keep the spacing exact (220 ms at 5 req/s, not 220.00000000000003). */
  private readonly windowMs: number;

  constructor(options: ThrottleGateOptions = {}) {
    const headroom = options.headroomPercent ?? DEFAULT_HEADROOM_PERCENT;
    if (!Number.isFinite(headroom) || headroom < 0) {
      throw new RangeError(`rate-limit headroom must be a percentage of 0 or more, got ${headroom}`);
    }
    this.now = options.now ?? Date.now;
    this.shared = options.shared;
    this.windowMs = 10 * (100 + headroom);
    this.replicas = Math.max(1, options.replicas ?? 1);
  }

  /** Holds calls to `system` to the windows its provider publishes as well (provider-limits.ts). */
  setLimits(system: string, limits: ProviderLimits): void {
    this.budgets.set(system, new WindowBudget(limits, { replicas: this.replicas, now: this.now }));
  }

  /** Reads what an answer of `system` says is left of its provider's windows (and, on a 429, which one it hit). */
  observe(system: string, headers: Headers, status?: number): void {
    this.budgets.get(system)?.observe(headers, status);
  }

  /** The provider's window a throttling answer of `system` names, for its message. */
  windowNamed(system: string, headers: Headers): string | undefined {
    return this.budgets.get(system)?.named(headers);
  }

  /** What is left of a provider's window of `system` by its latest count (undefined: not declared, or not read yet). */
  left(system: string, window: string): number | undefined {
    return this.budgets.get(system)?.left(window);
  }

  /** Spaces calls to `system` below `perSecond` (by the headroom) from this process. */
  setRate(system: string, perSecond: number): void {
    this.spacingMs.set(system, this.windowMs / perSecond);
    this.perSecond.set(system, perSecond);
  }

  /**
   * The window to close `system` for after a throttling answer with `retryAfterMs` (undefined: none given), which
   * this counts towards the backoff of the next one without Retry-After (see throttleWindowMs).
   */
  throttled(system: string, retryAfterMs: number | undefined): number {
    const unhinted = this.unhinted.get(system) ?? 0;
    if (retryAfterMs !== undefined) this.unhinted.delete(system);
    else this.unhinted.set(system, unhinted + 1);
    return throttleWindowMs(retryAfterMs, unhinted);
  }

  /** `system` answered something other than a throttle: the next 429 without Retry-After waits the default again. */
  unthrottled(system: string): void {
    this.unhinted.delete(system);
  }

  /** Closes the gate of `system` for `ms` from now; a longer window already in place wins. */
  closeFor(system: string, ms: number): void {
    const until = this.now() + ms;
    if (until > (this.until.get(system) ?? 0)) this.until.set(system, until);
  }

  /**
   * Closes the gate for `ms` here and reports the window to every replica, unless a window that lasts as long is
   * known to be shared already (a storm of 429s reports once).
   */
  async report(system: string, ms: number, reason: string): Promise<void> {
    this.closeFor(system, ms);
    if (!this.shared) return;
    const until = this.now() + ms;
    if (until <= (this.sharedUntil.get(system) ?? 0)) return;
    this.sharedUntil.set(system, until);
    await this.shared.close(system, until, reason);
  }

  /** Reads the window the other replicas reported for `system` and closes the gate here for what is left of it. */
  async learn(system: string): Promise<void> {
    if (!this.shared) return;
    const until = await this.shared.closedUntil(system);
    const left = until - this.now();
    if (left <= 0) return;
    if (until > (this.sharedUntil.get(system) ?? 0)) this.sharedUntil.set(system, until);
    this.closeFor(system, left);
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
   * would otherwise bunch up with the next ones. A call counts from the moment it leaves until the window (1000 ms
   * stretched by the headroom) after its answer came back: a provider counts a call when it arrives, which is after
   * it left and before its answer, so however late either side runs, no more than the rate arrive in any of its
   * seconds. Then the provider's own windows, where declared (a `background` call, a scheduled sync's, also keeps off
   * their reserves). Returns `answered`, to call when the call has settled (answer, error or timeout), or else how
   * long to wait before asking again.
   */
  admit(system: string, background = false): { answered: () => void } | GateHold {
    const limit = this.perSecond.get(system);
    const budget = this.budgets.get(system);
    if (limit === undefined && !budget) return { answered: () => {} };
    const now = this.now();
    const counted = (this.sent.get(system) ?? []).filter(
      (c) => c.answeredAt === undefined || c.answeredAt > now - this.windowMs,
    );
    this.sent.set(system, counted);
    if (limit !== undefined && counted.length >= limit) {
      // The place frees up one window after the earliest answer that brings the count below the rate; while the
      // calls holding it are still in flight, that time is unknown, so ask again shortly.
      const ends = counted.map((c) => c.answeredAt ?? Infinity).sort((a, b) => a - b);
      const end = ends[counted.length - limit]!;
      return { waitMs: Number.isFinite(end) ? end + this.windowMs - now : IN_FLIGHT_POLL_MS };
    }
    const taken = budget?.take(background);
    if (taken && 'waitMs' in taken) return taken;
    const call: { answeredAt?: number } = {};
    if (limit !== undefined) counted.push(call);
    return {
      answered: () => {
        call.answeredAt ??= this.now();
        taken?.answered();
      },
    };
  }
}
