import type { Client } from '@temporalio/client';
import { durationMs } from '../temporal/time';

/** What every operator command needs: a client on the namespace, and where the Web UI lives. */
export interface OpsContext {
  client: Client;
  namespace: string;
  uiUrl: string;
}

/** The execution's history page in the Temporal Web UI. */
export function uiLink(ctx: Pick<OpsContext, 'uiUrl' | 'namespace'>, workflowId: string, runId: string): string {
  return `${ctx.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(ctx.namespace)}/workflows/${encodeURIComponent(
    workflowId,
  )}/${encodeURIComponent(runId)}/history`;
}

/** A value quoted for a visibility query. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Ops input the caller got wrong (an unknown status, a bad duration): the CLI prints it, the API answers 400. */
export class OpsInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpsInputError';
  }
}

/** "15m", "24h", "7d" or a number of ms, as milliseconds. */
export function parseDuration(value: string | number, what: string): number {
  let ms: number;
  try {
    ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : durationMs(value);
  } catch {
    throw new OpsInputError(`${what}: "${value}" is not a duration (try 15m, 24h, 7d)`);
  }
  if (!Number.isFinite(ms) || ms < 0) throw new OpsInputError(`${what}: "${value}" is not a duration`);
  return ms;
}

/** ANDs visibility query clauses, each in parentheses; empty ones are dropped. */
export function and(...clauses: Array<string | undefined>): string {
  return clauses
    .filter((c): c is string => !!c && c.trim() !== '')
    .map((c) => `(${c})`)
    .join(' AND ');
}
