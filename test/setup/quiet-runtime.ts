import { DefaultLogger, type LogEntry, Runtime } from '@temporalio/worker';
import { heldLog } from './held-log';

// The SDK's logs (its own and the Rust core's, forwarded) are held, not printed: the environment
// (test/setup/environment.ts) prints them under a test that fails and drops them when it passes, so a passing run
// shows the runner's summary and a failing one the logs that explain it. TEST_LOG_LEVEL=info prints everything as it
// comes, from INFO up.
const live = process.env.TEST_LOG_LEVEL === 'info';

function line(entry: LogEntry): string {
  const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta && Object.keys(entry.meta).length > 0 ? ` ${JSON.stringify(entry.meta, replacer)}` : '';
  return `${at} [${entry.level}] ${entry.message}${meta}`;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, cause: value.cause };
  return value;
}

Runtime.install({
  logger: new DefaultLogger(live ? 'INFO' : 'WARN', (entry) => {
    if (live) process.stderr.write(`${line(entry)}\n`);
    else heldLog().push(line(entry));
  }),
  telemetryOptions: { logging: { filter: { core: live ? 'INFO' : 'WARN', other: 'ERROR' }, forward: {} } },
});
