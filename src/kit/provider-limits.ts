// A provider's limits as it publishes them: several windows at once (Xero: 5 calls in flight, 60 a minute and 5,000 a
// day per organisation), each with the answer header that says how much of it is left. The client layer's gate
// (throttle.ts) holds a `WindowBudget` per system whose connector declares them, and asks it before every call.
//
// What one process knows of a window:
// - its own calls: each counts from the moment it leaves until `spanMs` after its answer (the provider counts it on
//   arrival, somewhere in between), so however late either side runs, this process never has more than `limit`
//   arriving in any span;
// - the provider's count, from the remaining header of the latest answer: exact when it was read, and counting every
//   replica's calls. What it counts beyond this process's own calls are other replicas', whose times are unknown:
//   they are taken to free at the window's even pace over one span from the reading. So after a burst of its own, a
//   process waits until its own calls leave the window, and calls others made free gradually; what is left is
//   limit − others still counted − own calls still counted. A call waits until that is at least one (more than the
//   reserve, for a scheduled sync's call). If other replicas called since the reading, the provider's 429 and
//   Retry-After are the backstop, and that window is shared through the throttle gate.
// Calls in flight at once cannot be counted across replicas by anyone but the provider, so each worker process takes
// its share, `limit / WORKER_REPLICAS` (at least one).

/** One limit of a provider. */
export interface RateWindow {
  /** The provider's name for it, as its throttling answers give it (Xero's X-Rate-Limit-Problem: `minute`). */
  name: string;
  /** For messages: what the limit is, `the organisation's 60 calls a minute`. */
  description: string;
  /** Calls allowed in `spanMs`, or at once when `spanMs` is unset. */
  limit: number;
  /** The window's length; unset for a limit on calls in flight. */
  spanMs?: number;
  /** The answer header with the provider's own count of what is left of this window, across every caller. */
  remainingHeader?: string;
  /**
   * Calls kept for event flows: with this many or fewer left, a scheduled sync's calls wait (they fail their attempt
   * with the time until one is free) while event flows go on calling.
   */
  reserve?: number;
}

export interface ProviderLimits {
  windows: readonly RateWindow[];
  /** The answer header that names the window a 429 hit (Xero: X-Rate-Limit-Problem). */
  problemHeader?: string;
}

/** Problems with a declaration's limits, for startup and the declaration tests. */
export function limitsProblems(limits: ProviderLimits): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const w of limits.windows) {
    if (names.has(w.name)) problems.push(`window "${w.name}" is declared twice`);
    names.add(w.name);
    if (!Number.isInteger(w.limit) || w.limit < 1)
      problems.push(`window "${w.name}": limit must be a whole number ≥ 1`);
    if (w.spanMs !== undefined && !(Number.isInteger(w.spanMs) && w.spanMs > 0)) {
      problems.push(`window "${w.name}": spanMs must be a whole number of milliseconds > 0`);
    }
    if (w.reserve !== undefined && !(Number.isInteger(w.reserve) && w.reserve >= 0 && w.reserve < w.limit)) {
      problems.push(`window "${w.name}": reserve must be a whole number from 0 to below the limit`);
    }
    if (w.spanMs === undefined && (w.remainingHeader !== undefined || w.reserve !== undefined)) {
      problems.push(`window "${w.name}" limits calls in flight: it has no remaining header or reserve`);
    }
  }
  return problems;
}

/** How often a caller looks again while the calls that fill a window are still in flight. */
const IN_FLIGHT_POLL_MS = 25;

/** A call the budget let out: `answered` when it has settled (answer, error or timeout). */
export interface Taken {
  answered(): void;
}

/** Why a call may not leave yet, and when to ask again. */
export interface Held {
  waitMs: number;
  /** Which window holds it, for the failure an attempt ends with: `the organisation's 60 calls a minute: 0 left`. */
  reason: string;
  /** A scheduled sync's call held by a window's reserve, which event flows may still use. */
  yielded: boolean;
}

interface Reading {
  /** The provider's calls in the window that were not this process's, when the reading came. */
  others: number;
  at: number;
}

interface Counted {
  answeredAt?: number;
}

/** What one process knows of one system's windows, in epoch milliseconds of `now`. */
export class WindowBudget {
  private readonly calls = new Map<string, Counted[]>();
  private readonly readings = new Map<string, Reading>();
  private inFlight = 0;

  constructor(
    readonly limits: ProviderLimits,
    private readonly options: { replicas: number; now: () => number },
  ) {}

  /** Lets a call out now, counted in every window, or says which window holds it and for how long. */
  take(background: boolean): Taken | Held {
    const now = this.options.now();
    let held: Held | undefined;
    const hold = (h: Held) => {
      if (!held || h.waitMs > held.waitMs) held = h;
    };
    for (const w of this.limits.windows) {
      if (w.spanMs === undefined) {
        const share = this.share(w);
        if (this.inFlight >= share) {
          const of = share === w.limit ? '' : ` (${share} from this worker)`;
          hold({ waitMs: IN_FLIGHT_POLL_MS, reason: `${w.description}${of}: all in flight`, yielded: false });
        }
        continue;
      }
      const h = this.holdOf(w, this.counted(w.name, now, w.spanMs), now, background);
      if (h) hold(h);
    }
    if (held) return held;

    const counted: Counted = {};
    for (const w of this.limits.windows) {
      if (w.spanMs === undefined) continue;
      const list = this.calls.get(w.name);
      if (list) list.push(counted);
      else this.calls.set(w.name, [counted]);
    }
    this.inFlight += 1;
    return {
      answered: () => {
        if (counted.answeredAt !== undefined) return;
        counted.answeredAt = this.options.now();
        this.inFlight -= 1;
      },
    };
  }

  /**
   * Reads the provider's remaining counts from an answer's headers. A throttling answer (`status` 429) that names a
   * window starts that window anew: the provider's Retry-After says when it reopens, the gate stays closed to every
   * call until then (throttle.ts), and what was counted in it before no longer holds calls after.
   */
  observe(headers: Headers, status?: number): void {
    const now = this.options.now();
    for (const w of this.limits.windows) {
      if (!w.remainingHeader || w.spanMs === undefined) continue;
      const value = headers.get(w.remainingHeader);
      if (value === null || !/^\d{1,12}$/.test(value.trim())) continue;
      const remaining = Math.min(Number(value), w.limit);
      // Read after the answering call settled: this process's answered calls are surely in the count.
      const mine = this.counted(w.name, now, w.spanMs).filter((c) => c.answeredAt !== undefined).length;
      this.readings.set(w.name, { others: Math.max(0, w.limit - remaining - mine), at: now });
    }
    const problem = status === 429 ? this.problemOf(headers) : undefined;
    if (problem?.spanMs !== undefined) {
      this.readings.delete(problem.name);
      this.calls.set(
        problem.name,
        (this.calls.get(problem.name) ?? []).filter((c) => c.answeredAt === undefined),
      );
    }
  }

  private problemOf(headers: Headers): RateWindow | undefined {
    const header = this.limits.problemHeader;
    const problem = header ? headers.get(header)?.trim().toLowerCase() : undefined;
    return problem ? this.limits.windows.find((x) => x.name.toLowerCase() === problem) : undefined;
  }

  /** The window a throttling answer names (by the problem header), for its message. */
  named(headers: Headers): string | undefined {
    const header = this.limits.problemHeader;
    const problem = header ? headers.get(header)?.trim() : undefined;
    if (!problem) return undefined;
    const w = this.problemOf(headers);
    return `${header}: ${problem}, ${w ? w.description : 'a limit this connector does not declare'}`;
  }

  /** What is left of `name`'s window by the provider's latest count, estimated for now; undefined without one. */
  left(name: string): number | undefined {
    const w = this.limits.windows.find((x) => x.name === name);
    const reading = this.readings.get(name);
    if (!w || w.spanMs === undefined || !reading) return undefined;
    const now = this.options.now();
    return w.limit - this.othersAt(w, reading, now) - this.counted(w.name, now, w.spanMs).length;
  }

  private share(w: RateWindow): number {
    return Math.max(1, Math.floor(w.limit / this.options.replicas));
  }

  /** The others' calls of a reading still counted at `t`, freeing at the window's even pace. */
  private othersAt(w: RateWindow, reading: Reading, t: number): number {
    return Math.ceil(reading.others * Math.max(0, 1 - (t - reading.at) / w.spanMs!));
  }

  /** Whether window `w` holds a call now, and until when: the first time a call would fit. */
  private holdOf(w: RateWindow, mine: Counted[], now: number, background: boolean): Held | undefined {
    const span = w.spanMs!;
    const reading = this.readings.get(w.name);
    const keep = background && reading ? (w.reserve ?? 0) : 0;
    // Without the provider's count, this process keeps to its share of the window.
    const cap = reading || w.remainingHeader ? w.limit : this.share(w);
    const room = (t: number) =>
      cap -
      keep -
      (reading ? this.othersAt(w, reading, t) : 0) -
      mine.filter((c) => c.answeredAt === undefined || c.answeredAt > t - span).length;
    if (room(now) >= 1) return undefined;
    const left = cap - (reading ? this.othersAt(w, reading, now) : 0) - mine.length;
    const yielded = keep > 0 && left >= 1;
    const reason = yielded
      ? `${w.description}: about ${left} left, kept for event flows (a scheduled sync waits below ${keep + 1})`
      : reading
        ? `${w.description}: none left`
        : `${w.description}: ${mine.length} sent from this worker`;
    // Calls still in flight free their place one span after an answer not yet come: ask again shortly.
    if (room(now + span) < 1) return { waitMs: IN_FLIGHT_POLL_MS, reason, yielded };
    // The first moment a call fits: room only grows with time while nothing is sent.
    let lo = now;
    let hi = now + span;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (room(mid) >= 1) hi = mid;
      else lo = mid;
    }
    return { waitMs: hi - now, reason, yielded };
  }

  /** This process's calls that still count in a window of `span`: in flight, or answered less than `span` ago. */
  private counted(name: string, now: number, span: number): Counted[] {
    const kept = (this.calls.get(name) ?? []).filter((c) => c.answeredAt === undefined || c.answeredAt > now - span);
    this.calls.set(name, kept);
    return kept;
  }
}
