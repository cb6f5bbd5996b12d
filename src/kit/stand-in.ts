import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';

// Shared behaviour of every stand-in system: bearer auth, idempotency keys, cursor pagination, a request log and
// fault injection. Realistic enough that a flow which works here has met each real-world failure mode once.

export const faultsSchema = z
  .object({
    /** Added to every request, in ms. */
    latencyMs: z.number().int().min(0).max(120_000).default(0),
    /** Fraction of requests answered 500 (0..1). */
    failRate: z.number().min(0).max(1).default(0),
    /** Answer the next N requests with 500 (then behave). */
    failNext: z.number().int().min(0).default(0),
    /**
     * Answer requests 429 with this Retry-After (seconds): every request until `forMs` has passed, or only the next
     * `count` requests (both given: whichever ends first; neither: until the faults change).
     */
    throttle: z
      .object({
        retryAfterSeconds: z.number().int().min(0),
        forMs: z.number().int().min(0).optional(),
        count: z.number().int().min(1).optional(),
      })
      .optional(),
    /** A real limit: at most N requests per rolling second, 429 with Retry-After above it. */
    rateLimitPerSecond: z.number().int().positive().optional(),
    /** The whole system is down: every request gets 503 (no Retry-After). */
    down: z.boolean().default(false),
    /** Hold requests to these paths (prefix match) until released through the admin API. */
    holdPaths: z.array(z.string()).default([]),
    /** Answer the next N requests with this status and message (e.g. 400 to simulate a rejected payload). */
    respondNext: z.object({ status: z.number().int().min(400).max(599), count: z.number().int().min(1) }).optional(),
  })
  .strict();

export type Faults = z.infer<typeof faultsSchema>;

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  status: number;
  idempotencyKey?: string;
  /** The W3C trace context the caller sent, if any. */
  traceparent?: string;
  /** What a stand-in that checks bodies against the vendor's models found: empty when the body passed. */
  bodyProblems?: string[];
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

/** Per-system mutable state: faults, request log, idempotency records, held requests. */
export class SystemState {
  faults: Faults = faultsSchema.parse({});
  throttleUntil = 0;
  readonly log: LoggedRequest[] = [];
  readonly idempotency = new Map<string, StoredResponse>();
  private readonly window: number[] = [];
  private held: Array<() => void> = [];

  constructor(
    readonly name: string,
    /** The bearer key it accepts, or for a secret-URL system the token its URL must carry. */
    readonly apiKey: string,
    readonly auth: 'bearer' | 'secret-url' = 'bearer',
  ) {}

  setFaults(faults: Faults): void {
    this.faults = faults;
    this.throttleUntil = faults.throttle?.forMs !== undefined ? Date.now() + faults.throttle.forMs : Infinity;
    if (faults.holdPaths.length === 0) this.release();
  }

  release(): number {
    const n = this.held.length;
    for (const go of this.held.splice(0)) go();
    return n;
  }

  get heldCount(): number {
    return this.held.length;
  }

  hold(): Promise<void> {
    return new Promise((resolve) => this.held.push(resolve));
  }

  /** Records the request in the rolling one-second window and says whether it is over the limit. */
  overRateLimit(now: number): boolean {
    const limit = this.faults.rateLimitPerSecond;
    while (this.window.length && (this.window[0] ?? 0) <= now - 1000) this.window.shift();
    if (limit === undefined) return false;
    if (this.window.length >= limit) return true;
    this.window.push(now);
    return false;
  }

  reset(): void {
    this.setFaults(faultsSchema.parse({}));
    this.log.length = 0;
    this.idempotency.clear();
    this.window.length = 0;
  }
}

function secretMatches(presented: string, key: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearerMatches(header: string | undefined, key: string): boolean {
  return secretMatches(header?.startsWith('Bearer ') ? header.slice(7) : '', key);
}

/** A system's stand-in: its routes (behind systemRouter), the data a test or a newcomer inspects, and a reset. */
export interface StandIn<D = unknown> {
  router: Router;
  data: D;
  reset(): void;
  /** Its own admin routes, mounted at /__admin/<name>/ beside the faults (a connector's: revoke a connection). */
  admin?: Router;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records the request in the system's log; its status is filled in when the answer is sent. */
export function logRequest(state: SystemState, req: Request, res: Response): LoggedRequest {
  const entry: LoggedRequest = {
    at: Date.now(),
    method: req.method,
    path: req.path,
    status: 0,
    idempotencyKey: req.header('idempotency-key') ?? undefined,
    traceparent: req.header('traceparent') ?? undefined,
  };
  state.log.push(entry);
  res.on('finish', () => (entry.status = res.statusCode));
  return entry;
}

/**
 * The faults set through /__admin, in front of a system's handlers: outage, injected 429s, the rate limit, latency,
 * held paths, injected statuses and 500s. For a stand-in with auth of its own, after that auth.
 */
export function injectFaults(state: SystemState) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const f = state.faults;
    if (f.down) {
      res.status(503).json({ error: 'unavailable', message: `${state.name} is down` });
      return;
    }
    if (f.throttle && Date.now() < state.throttleUntil && (f.throttle.count === undefined || f.throttle.count > 0)) {
      if (f.throttle.count !== undefined) f.throttle.count -= 1;
      res.setHeader('Retry-After', String(f.throttle.retryAfterSeconds));
      res.status(429).json({ error: 'rate_limited', message: `${state.name} is throttling callers` });
      return;
    }
    if (state.overRateLimit(Date.now())) {
      res.setHeader('Retry-After', '1');
      res.status(429).json({ error: 'rate_limited', message: `${state.name} allows ${f.rateLimitPerSecond} req/s` });
      return;
    }
    if (f.latencyMs) await sleep(f.latencyMs);
    if (f.holdPaths.some((p) => req.path.startsWith(p))) await state.hold();
    if (f.respondNext && f.respondNext.count > 0) {
      f.respondNext.count -= 1;
      res.status(f.respondNext.status).json({ error: 'injected', message: `injected ${f.respondNext.status}` });
      return;
    }
    if (f.failNext > 0) {
      f.failNext -= 1;
      res.status(500).json({ error: 'internal', message: 'injected failure' });
      return;
    }
    if (f.failRate > 0 && Math.random() < f.failRate) {
      res.status(500).json({ error: 'internal', message: 'injected random failure' });
      return;
    }
    next();
  };
}

/**
 * A router for one system with auth, request logging and fault injection in front of its handlers.
 * Faults apply after auth, as a real gateway would throttle authenticated callers.
 */
export function systemRouter(state: SystemState): Router {
  // mergeParams: a secret-URL system is mounted at /<name>/:token and checks the token here.
  const router = express.Router({ mergeParams: true });
  router.use(express.json({ limit: '2mb' }));
  router.use((req: Request, res: Response, next: NextFunction) => {
    logRequest(state, req, res);
    const authorized =
      state.auth === 'bearer'
        ? bearerMatches(req.header('authorization'), state.apiKey)
        : secretMatches(String(req.params.token ?? ''), state.apiKey);
    if (!authorized) {
      const what = state.auth === 'bearer' ? 'API key' : 'webhook URL';
      res.status(state.auth === 'bearer' ? 401 : 404).json({
        error: state.auth === 'bearer' ? 'unauthorized' : 'not_found',
        message: `missing or wrong ${what} for ${state.name}`,
      });
      return;
    }
    next();
  });
  router.use(injectFaults(state));
  return router;
}

/**
 * Wraps a mutating handler with Idempotency-Key semantics: the first answer is stored; a retry with the same key and
 * body gets it again; the same key with a different body is a 422, as real APIs do.
 */
export function idempotent(
  state: SystemState,
  handler: (req: Request) => { status: number; body: unknown },
): (req: Request, res: Response) => void {
  return (req, res) => {
    const key = req.header('idempotency-key');
    if (!key) {
      res.status(400).json({ error: 'idempotency_key_required', message: 'send an Idempotency-Key header' });
      return;
    }
    const scoped = `${req.method} ${req.baseUrl}${req.path} ${key}`;
    const fingerprint = JSON.stringify(req.body ?? null);
    const stored = state.idempotency.get(scoped);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        res.status(422).json({ error: 'idempotency_key_reused', message: `key ${key} was used with another body` });
        return;
      }
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(stored.status).json(stored.body);
      return;
    }
    const answer = handler(req);
    if (answer.status < 500) state.idempotency.set(scoped, { fingerprint, ...answer });
    res.status(answer.status).json(answer.body);
  };
}

/** Cursor pagination over an ordered array: the cursor is the opaque offset of the next page. */
export function paginate<T>(items: readonly T[], cursor: unknown, limit: unknown, max = 100) {
  const size = Math.min(Math.max(Number(limit) || max, 1), max);
  const offset = typeof cursor === 'string' && cursor ? Number(Buffer.from(cursor, 'base64url').toString()) || 0 : 0;
  const data = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : null;
  return { data, next_cursor: next };
}

let counter = 0;
/** Sequential, readable ids like inv_000042. */
export function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}_${String(counter).padStart(6, '0')}`;
}
