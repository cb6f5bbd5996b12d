import type { ExecutionSummary } from './executions';

function cell(value: unknown, width: number): string {
  const s = value === undefined || value === null ? '' : String(value).replace(/\s+/g, ' ');
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
      extra === 'stuck' ? [e.stuckBecause, e.lastError].filter(Boolean).join(': ') : e.lastError,
      e.link,
    ]),
  );
}

/** A one-line progress bar for a TTY; elsewhere one line per tenth, so CI logs stay short. */
export function progressBar(stream: NodeJS.WriteStream, label: string): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const ratio = total === 0 ? 1 : done / total;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round(ratio * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      if (done === total) stream.write('\n');
      return;
    }
    const tenth = Math.floor(ratio * 10);
    if (tenth !== lastTenth || done === total) {
      lastTenth = tenth;
      stream.write(`${label} ${done}/${total} (${Math.round(ratio * 100)}%)\n`);
    }
  };
}
