import fs from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { historyFromJson } from '../../src/ops/history-json';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

export interface RecordedHistory {
  /** Path under histories/, e.g. orderPaid/retry.json. */
  file: string;
  workflowType: string;
  history: temporal.api.history.v1.History;
}

/** Every recorded history under test/replay/histories/, with the workflow type its start event names. */
export function loadRecordedHistories(): RecordedHistory[] {
  const out: RecordedHistory[] = [];
  for (const dir of fs.readdirSync(HISTORIES_DIR).sort()) {
    const full = path.join(HISTORIES_DIR, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const name of fs
      .readdirSync(full)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const history = historyFromJson(JSON.parse(fs.readFileSync(path.join(full, name), 'utf8')));
      const started = history.events[0]?.workflowExecutionStartedEventAttributes;
      out.push({ file: `${dir}/${name}`, workflowType: started?.workflowType?.name ?? '', history });
    }
  }
  return out;
}
