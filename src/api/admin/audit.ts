import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../logger';
import { HttpError } from '../errors';
import { routeOf } from './actions';

// What one admin call is about, for the audit log: known before the handler runs, so refused calls have it too.
export interface AuditRecord {
  requestId: string;
  actor: string | null;
  action: string;
  target: Record<string, unknown>;
  method: string;
  path: string;
  ip: string;
  startedAt: number;
  error?: { code: string; message: string };
  result?: Record<string, unknown>;
}

// Paths and parameters come from anyone who can reach the port: a log line holds at most 500 characters of each.
export function bounded(v: string): string {
  return v.length > 500 ? `${v.slice(0, 500)}…` : v;
}

const TARGET_FIELDS = [
  'status',
  'since',
  'source',
  'type',
  'query',
  'limit',
  'olderThan',
  'attempts',
  'reason',
  'runId',
  'to',
  'dryRun',
  'planId',
];

// The parameters that say what a call aims at, bounded so a log line stays a line.
function targetFields(input: unknown): Record<string, unknown> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return {};
  const out: Record<string, unknown> = {};
  for (const key of TARGET_FIELDS) {
    const v = (input as Record<string, unknown>)[key];
    if (typeof v === 'string') out[key] = bounded(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (v !== undefined) out[key] = `(${Array.isArray(v) ? 'array' : typeof v})`;
  }
  return out;
}

export function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof HttpError) return { code: err.code, message: err.message };
  const e = err as { status?: unknown; type?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { code: typeof e.type === 'string' ? e.type : 'bad_request', message };
  }
  return { code: 'internal', message };
}

export function auditOf(res: Response): AuditRecord {
  return res.locals.audit as AuditRecord;
}

/** The fields every audit line of a call carries. */
export function auditFields(a: AuditRecord) {
  return {
    audit: 'admin',
    requestId: a.requestId,
    actor: a.actor,
    action: a.action,
    target: a.target,
    method: a.method,
    path: a.path,
    ip: a.ip,
  };
}

function auditedRoute(method: string, path: string): { action: string; target: Record<string, unknown> } {
  const { action, target } = routeOf(method, path);
  return { action, target: Object.fromEntries(Object.entries(target).map(([k, v]) => [k, bounded(String(v))])) };
}

/** Opens a call's audit record and logs its `admin outcome` line once the call ends, however it ends. */
export function auditOutcome(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const audit: AuditRecord = {
      requestId: randomUUID(),
      actor: null,
      ...auditedRoute(req.method, req.path),
      method: req.method,
      path: bounded(req.baseUrl + req.path),
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      startedAt: Date.now(),
    };
    res.locals.audit = audit;
    let logged = false;
    const outcome = () => {
      if (logged) return;
      logged = true;
      const status = res.statusCode;
      const result = !res.writableFinished
        ? 'client disconnected'
        : status < 400
          ? 'ok'
          : status >= 500
            ? 'failed'
            : 'refused';
      const level = status >= 500 ? 'error' : status >= 400 || !res.writableFinished ? 'warn' : 'info';
      logger[level](
        {
          ...auditFields(audit),
          status,
          outcome: result,
          error: audit.error,
          result: audit.result,
          durationMs: Date.now() - audit.startedAt,
        },
        'admin outcome',
      );
    };
    res.on('finish', outcome);
    res.on('close', outcome);
    next();
  };
}

/** Adds the call's query and body parameters to its target and logs `admin attempt`, before it acts. */
export function auditAttempt(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const audit = auditOf(res);
    Object.assign(audit.target, targetFields(req.query), targetFields(req.body));
    logger.info(auditFields(audit), 'admin attempt');
    next();
  };
}
