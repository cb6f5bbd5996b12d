import type { Client } from '@temporalio/client';
import { decodePayloadsDeep } from '../temporal/codec';
import { readingClient } from '../temporal/reading-client';
import { durationMs } from '../temporal/time';

/** What every operator command needs: a client on the namespace, and where the Web UI lives. */
export interface OpsContext {
  client: Client;
  namespace: string;
  uiUrl: string;
}

/**
 * `value` (a history, an event, a description) with every payload decoded by the client's codecs: the client hands
 * those back as stored, encrypted.
 */
export function decoded<T>(ctx: Pick<OpsContext, 'client'>, value: T): Promise<T> {
  return decodePayloadsDeep(value, ctx.client.options.loadedDataConverter.payloadCodecs);
}

/**
 * `ctx` on a reading client (src/temporal/reading-client.ts): for views that show what they read, so a payload under a
 * removed key is marked where it is, and the rest is shown.
 */
export function readingContext(ctx: OpsContext): OpsContext {
  return { ...ctx, client: readingClient(ctx.client) };
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

const MAX_CLAUSE_LENGTH = 4000;

function refuse(clause: string, why: string): never {
  const shown = clause.length > 120 ? `${clause.slice(0, 120)}…` : clause;
  throw new OpsInputError(`query: ${why} in ${JSON.stringify(shown)}; give one visibility filter, e.g. ${EXAMPLE}`);
}
const EXAMPLE = 'WorkflowType = "orderPaid" AND StartTime > "2024-11-12T00:00:00Z"';

/**
 * Throws unless `clause` is one visibility filter that stays whole inside the parentheses `and()` puts around it:
 * quotes closed, parentheses balanced and never closing one the clause did not open, no OR outside parentheses, no
 * comment, `;`, ORDER BY or GROUP BY. Quoted values are skipped as the server's parser reads them, so a parenthesis or
 * an OR inside a value is fine. A tokenizer rather than a pattern, because only it knows what is inside quotes.
 */
export function assertFilter(clause: string): void {
  if (clause.length > MAX_CLAUSE_LENGTH) refuse(clause, `a clause longer than ${MAX_CLAUSE_LENGTH} characters`);
  let depth = 0;
  let previousWord = '';
  for (let i = 0; i < clause.length;) {
    const c = clause[i]!;
    const code = c.charCodeAt(0);
    if ((code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') || code === 0x7f) {
      refuse(clause, `a control character (U+${code.toString(16).padStart(4, '0')})`);
    }
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      // As the server's parser reads them: a backslash escapes inside '…' and "…", not inside `…`.
      while (j < clause.length && clause[j] !== c) j += clause[j] === '\\' && c !== '`' ? 2 : 1;
      if (j >= clause.length) refuse(clause, `an unterminated ${c} quoted value`);
      i = j + 1;
      previousWord = '';
    } else if (c === '(') {
      depth += 1;
      i += 1;
      previousWord = '';
    } else if (c === ')') {
      if (depth === 0) refuse(clause, 'a ")" that closes a parenthesis the clause did not open');
      depth -= 1;
      i += 1;
      previousWord = '';
    } else if ((c === '-' && clause[i + 1] === '-') || (c === '/' && clause[i + 1] === '*') || c === '#') {
      refuse(clause, 'a comment');
    } else if (c === '|' && clause[i + 1] === '|' && depth === 0) {
      refuse(clause, 'a top-level OR ("||"; put the alternatives in parentheses)');
    } else if (c === ';') {
      refuse(clause, 'a ";"');
    } else if (/[A-Za-z0-9_.$]/.test(c)) {
      let j = i;
      while (j < clause.length && /[A-Za-z0-9_.$]/.test(clause[j]!)) j += 1;
      const word = clause.slice(i, j).toUpperCase();
      if ((word === 'OR' || word === 'XOR') && depth === 0) {
        refuse(clause, `a top-level ${word} (put the alternatives in parentheses)`);
      }
      if (word === 'BY' && (previousWord === 'ORDER' || previousWord === 'GROUP')) {
        refuse(clause, `${previousWord} BY (a filter cannot sort or group)`);
      }
      previousWord = word;
      i = j;
    } else {
      i += 1;
      previousWord = '';
    }
  }
  if (depth > 0) refuse(clause, `${depth} unclosed parenthes${depth === 1 ? 'is' : 'es'}`);
}

/**
 * ANDs visibility query clauses, each in parentheses; empty ones are dropped. Every clause is checked with
 * `assertFilter` first, so an operator's clause cannot reach outside its parentheses and widen the query.
 */
export function and(...clauses: Array<string | undefined>): string {
  return clauses
    .filter((c): c is string => !!c && c.trim() !== '')
    .map((c) => {
      assertFilter(c);
      return `(${c})`;
    })
    .join(' AND ');
}
