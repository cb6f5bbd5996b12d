import { printable } from '../printable';
import type { ExecutionSummary } from './executions';

/**
 * A value as one line of operator output: its control, format and bidi characters shown as escapes, line breaks as
 * spaces. Much of what the CLI prints comes from outside (a downstream's error, a record, a business key), and raw it
 * could move the cursor, erase or overwrite lines, reorder what is shown, or start a line of its own.
 */
export function shown(value: unknown): string {
  return value === undefined || value === null ? '' : printable(String(value));
}

function cell(value: unknown, width: number): string {
  const s = shown(value).replace(/\s+/g, ' ');
  return s.length > width ? `${s.slice(0, width - 1)}…` : s;
}

/** A plain-text table: a header, a rule, one row per item. Long cells are cut; the last column never is. */
export function table(columns: Array<{ title: string; max?: number }>, rows: unknown[][]): string {
  if (rows.length === 0) return '(none)\n';
  const texts = rows.map((r) => r.map((v, i) => cell(v, columns[i]?.max ?? Infinity)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...texts.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...texts.map(line)].join('\n')}\n`;
}

/** Executions as the operator reads them: what, where it stands, the error, the link. */
export function executionsTable(items: ExecutionSummary[], extra: 'stuck' | 'none' = 'none'): string {
  return table(
    [
      { title: 'WORKFLOW ID', max: 40 },
      { title: 'TYPE', max: 18 },
      { title: 'STATUS', max: 10 },
      { title: 'INTEGRATION', max: 11 },
      { title: 'KEY', max: 20 },
      { title: 'STARTED' },
      { title: 'PENDING', max: 28 },
      { title: extra === 'stuck' ? 'WHY / LAST ERROR' : 'LAST ERROR', max: 60 },
      { title: 'LINK' },
    ],
    items.map((e) => [
      e.workflowId,
      e.type,
      e.status,
      e.integrationStatus,
      e.businessKey,
      e.startTime.replace(/\.\d+Z$/, 'Z'),
      e.pendingActivity ? `${e.pendingActivity.name} #${e.pendingActivity.attempt}` : '',
      [extra === 'stuck' ? e.stuckBecause : undefined, e.lastError, e.unreadable].filter(Boolean).join(': '),
      e.link,
    ]),
  );
}
