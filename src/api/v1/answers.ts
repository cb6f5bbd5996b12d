import type { Request, Response } from 'express';
import type { z } from 'zod';
import { HttpError } from '../errors';
import type { CommandOutcome } from './command-runner';
import { fieldOf, idempotencyKeySchema } from './schemas';

// How /api/v1 reads what it is sent and answers what a command came to. One place, so every command answers alike.

/** Parses `value` with `schema`, or a 400 naming the first field that is wrong. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = prefix ? [prefix, ...issue.path.map(String)].join('.') : fieldOf(issue);
  throw new HttpError(400, 'invalid_request', `${field}: ${issue.message}`, { field });
}

/** The Idempotency-Key header: required on every command, once, 1–255 printable ASCII characters. */
export function idempotencyKeyOf(req: Request): string {
  const values = req.headersDistinct['idempotency-key'];
  if (!values || values.length === 0) {
    throw new HttpError(400, 'idempotency_key_required', 'send an Idempotency-Key header (1–255 printable ASCII)', {
      field: 'Idempotency-Key',
    });
  }
  if (values.length > 1) {
    throw new HttpError(400, 'invalid_request', 'send one Idempotency-Key header', { field: 'Idempotency-Key' });
  }
  return parseOr400(idempotencyKeySchema, values[0], 'Idempotency-Key');
}

/**
 * The caller's `Prefer: wait=<seconds>` (RFC 7240), or undefined. A preference is a hint: one this service does not
 * know, or a wait that is not a whole number of seconds, is ignored, as the RFC asks, and the request is served as if
 * it were not there. Several Prefer headers, or several preferences in one, are read as one list; the first wait
 * counts.
 */
export function waitPreferenceOf(req: Request): number | undefined {
  for (const header of req.headersDistinct.prefer ?? []) {
    for (const preference of header.split(',')) {
      const [name, value] = preference
        .split(';')[0]!
        .split('=', 2)
        .map((part) => part.trim());
      if (name?.toLowerCase() !== 'wait') continue;
      const seconds = value?.replace(/^"(.*)"$/, '$1');
      return seconds !== undefined && /^\d{1,6}$/.test(seconds) ? Number(seconds) : undefined;
    }
  }
  return undefined;
}

/** The opaque id of an operation: the workflow id, base64url, so any key fits in a path segment. */
export function operationIdOf(workflowId: string): string {
  return Buffer.from(workflowId, 'utf8').toString('base64url');
}

export function workflowIdOf(operationId: string): string {
  return Buffer.from(operationId, 'base64url').toString('utf8');
}

export interface Links {
  uiUrl: string;
  namespace: string;
}

export function linksOf(workflowId: string, where: Links) {
  const operation = `/api/v1/operations/${operationIdOf(workflowId)}`;
  const ui = `${where.uiUrl}/namespaces/${encodeURIComponent(where.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return { operation, ui };
}

/** The operation body: the same for the first answer, a replay, and GET /api/v1/operations/{id}. */
export function operationBody(outcome: Exclude<CommandOutcome, { kind: 'reused' }>, where: Links) {
  const base = { operationId: operationIdOf(outcome.workflowId), workflowId: outcome.workflowId };
  const links = linksOf(outcome.workflowId, where);
  switch (outcome.kind) {
    case 'succeeded':
      return { ...base, status: 'succeeded' as const, result: outcome.result, links };
    case 'running':
      return { ...base, status: 'running' as const, links };
    case 'failed':
      return { ...base, status: 'failed' as const, failure: outcome.failure, links };
  }
}

/** Seconds a caller of a running command should wait before asking again. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Answers a command: 201 / 200 (replay) with the result, 202 while running, 409 when what exists differs from what
 * was asked (naming the fields), 422 for another body under the key, 502 failed.
 */
export function answerCommand(res: Response, outcome: CommandOutcome, where: Links): void {
  if (outcome.kind === 'reused') {
    throw new HttpError(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was used with another body; send a new key for a new request',
      { field: 'Idempotency-Key' },
    );
  }
  const body = operationBody(outcome, where);
  if (outcome.kind === 'succeeded') {
    if (!outcome.first) res.set('Idempotent-Replayed', 'true');
    res.status(outcome.first ? 201 : 200).json(body);
    return;
  }
  if (outcome.kind === 'running') {
    res.set({ Location: body.links.operation, 'Retry-After': String(RETRY_AFTER_SECONDS) });
    res.status(202).json(body);
    return;
  }
  const { failure } = outcome;
  const fields = failure.conflictingFields ?? [];
  if (fields.length > 0) {
    // Field names only: the values are the customer's (an address), and the caller has its own.
    res.status(409).json({
      error: 'invoice_conflict',
      message:
        `this order is already invoiced with another ${fields.join(', ')}: nothing was changed and no email was ` +
        'sent. Send what the invoice holds, or have it corrected in accounting and send again',
      field: fields[0],
      fields,
      operationId: body.operationId,
      failure,
      links: body.links,
    });
    return;
  }
  const who = failure.system ? `${failure.system} failed` : 'the command failed';
  const retry = failure.retryMayHelp
    ? 'a retry with the same key is safe and runs it again'
    : 'a retry with the same key is safe but will be refused the same way: fix the request and use a new key';
  res.status(502).json({
    error: 'command_failed',
    message: `${who}: ${failure.error}. An alert went out; ${retry}`,
    operationId: body.operationId,
    failure,
    links: body.links,
  });
}
