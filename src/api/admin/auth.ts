import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors';
import { auditOf } from './audit';

// Both sides are hashed first so the comparison takes the same time whatever the presented token's length.
function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}

export interface AuthFailureLimiterOptions {
  /** Failures a client may have within the window (default 10). */
  max?: number;
  windowMs?: number;
  /** Clients remembered at once; the one that failed longest ago is forgotten first (default 10,000). */
  maxClients?: number;
  now?: () => number;
}

/** Failed authentications per client over a sliding window, in bounded memory. */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: AuthFailureLimiterOptions = {}) {
    this.max = options.max ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.failures.size;
  }

  /** 0 when `client` may try; otherwise the milliseconds until its oldest failure in the window expires. */
  retryAfterMs(client: string): number {
    const times = this.recent(client);
    if (times.length < this.max) return 0;
    return times[times.length - this.max]! + this.windowMs - this.now();
  }

  fail(client: string): void {
    const times = this.recent(client);
    times.push(this.now());
    if (times.length > this.max) times.splice(0, times.length - this.max);
    // Re-inserted, so the map's order is the order of the latest failure and the first key the one to forget.
    this.failures.delete(client);
    this.failures.set(client, times);
    while (this.failures.size > this.maxClients) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(client: string): number[] {
    const kept = this.failures.get(client);
    if (!kept) return [];
    const cutoff = this.now() - this.windowMs;
    const times = kept.filter((t) => t > cutoff);
    if (times.length === 0) this.failures.delete(client);
    else if (times.length !== kept.length) this.failures.set(client, times);
    return times;
  }
}

/**
 * Lets a call through only with `Authorization: Bearer <token>`, and records `tokenName` as its actor. A client with
 * too many failed authentications in the limiter's window gets 429 until the window has passed.
 */
export function authenticate(admin: { token: string; tokenName: string }, failures: AuthFailureLimiter) {
  const { token, tokenName } = admin;
  return (req: Request, res: Response, next: NextFunction): void => {
    const audit = auditOf(res);
    // Checked before the token, so a client that keeps guessing learns nothing more until its window has passed.
    const waitMs = failures.retryAfterMs(audit.ip);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return next(
        new HttpError(
          429,
          'too_many_failed_authentications',
          `too many failed authentications from this address; retry in ${seconds} s`,
          {},
          { 'Retry-After': String(seconds) },
        ),
      );
    }
    if (!tokenMatches(req.header('authorization'), token)) {
      failures.fail(audit.ip);
      res.set('WWW-Authenticate', 'Bearer realm="switchyard-admin"');
      return next(new HttpError(401, 'unauthorized', 'send Authorization: Bearer <ADMIN_TOKEN>'));
    }
    audit.actor = tokenName;
    next();
  };
}
