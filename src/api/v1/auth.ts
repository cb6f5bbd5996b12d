import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { type ApiClient, type ApiScope, keyDigest } from '../../config/api-clients';
import { HttpError } from '../errors';

// Who is calling /api/v1, what they may do and how often. The key is compared as its SHA-256, with every client's
// digest and in constant time, so neither a key's content nor which client it is close to leaks through timing.

/** The authenticated caller, set on res.locals by `authenticate`. */
export function callerOf(res: Response): ApiClient {
  return res.locals.apiClient as ApiClient;
}

/** The client whose key the bearer token is, or undefined. Every client is compared, whatever matches first. */
export function clientForKey(clients: readonly ApiClient[], presented: string): ApiClient | undefined {
  const digest = keyDigest(presented);
  let found: ApiClient | undefined;
  for (const client of clients) if (timingSafeEqual(digest, client.keySha256) && !found) found = client;
  return found;
}

/** 401 without a known key (with WWW-Authenticate), otherwise the caller on res.locals. */
export function authenticate(clients: readonly ApiClient[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.header('authorization') ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const client = token ? clientForKey(clients, token) : undefined;
    if (!client) {
      next(
        new HttpError(
          401,
          'unauthorized',
          token ? 'the API key is not known' : 'send the API key as Authorization: Bearer <key>',
          {},
          { 'WWW-Authenticate': 'Bearer realm="switchyard"' },
        ),
      );
      return;
    }
    res.locals.apiClient = client;
    next();
  };
}

/** 403 unless the caller has `scope`. */
export function requireScope(scope: ApiScope) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const client = callerOf(res);
    next(
      client.scopes.includes(scope)
        ? undefined
        : new HttpError(403, 'forbidden', `API client ${client.name} lacks the scope ${scope}`, { scope }),
    );
  };
}

/**
 * Per-client token buckets (per API replica): a client may burst up to its rate, then its rate per second. Over it,
 * 429 with Retry-After, before anything is read or started.
 */
export function rateLimit(now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (_req: Request, res: Response, next: NextFunction): void => {
    const { name, ratePerSecond } = callerOf(res);
    const t = now();
    const bucket = buckets.get(name) ?? { tokens: ratePerSecond, at: t };
    bucket.tokens = Math.min(ratePerSecond, bucket.tokens + ((t - bucket.at) / 1000) * ratePerSecond);
    bucket.at = t;
    buckets.set(name, bucket);
    if (bucket.tokens < 1) {
      const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
      next(
        new HttpError(
          429,
          'rate_limited',
          `API client ${name} may send ${ratePerSecond} requests per second`,
          {},
          { 'Retry-After': String(seconds) },
        ),
      );
      return;
    }
    bucket.tokens -= 1;
    next();
  };
}
