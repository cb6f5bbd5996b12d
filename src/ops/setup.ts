import { Connection } from '@temporalio/client';
import { type SearchAttributeType } from '@temporalio/common';
import { protoMs, toProtoDuration } from '../temporal/time';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { connectionOptions, resolveTemporalTarget } from '../temporal/connection';

// `npm run setup`: prepares an existing cluster's namespace for Switchyard (registering it when the cluster has none),
// once per namespace and safe to re-run.
// The embedded dev server does the same itself at start (src/dev/temporal-dev-server.ts).

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const INDEXED: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Closed executions must outlive every sender's retry window (Stripe retries for 3 days), so duplicates dedupe. */
export const MIN_RETENTION_DAYS = 7;

export interface SetupReport {
  namespace: string;
  added: string[];
  existing: string[];
  /** Existing attributes of another type than ours: queries on them will not behave; fix by hand. */
  conflicting: Array<{ name: string; has: string; want: string }>;
  retentionDays: { before: number; after: number };
  /** The namespace did not exist and was registered (a new cluster has none but its system namespace). */
  registered: boolean;
}

const NOT_FOUND = 5;

/** Registers the namespace unless it exists; true when it was registered now. */
async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if ((err as { code?: number }).code !== NOT_FOUND) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: toProtoDuration(retentionDays * 86_400_000),
    });
  } catch (err) {
    // Another `npm run setup` registered it first.
    if (!/already exists|AlreadyExists/i.test((err as Error).message)) throw err;
  }
  return true;
}

/** Runs `fn` until the frontend's namespace cache knows a namespace registered a moment ago (it refreshes every ~10 s). */
async function whenNamespaceKnown<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: number }).code !== NOT_FOUND || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Registers our custom search attributes that the namespace lacks, and raises its retention to at least
 * `retentionDays`. Never removes or retypes anything.
 */
export async function setupNamespace(
  connection: Connection,
  namespace: string,
  options: { retentionDays?: number } = {},
): Promise<SetupReport> {
  const wantDays = Math.max(options.retentionDays ?? MIN_RETENTION_DAYS, MIN_RETENTION_DAYS);
  const registered = await ensureNamespace(connection, namespace, wantDays);
  const { customAttributes } = await whenNamespaceKnown(() =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  const report: SetupReport = {
    namespace,
    added: [],
    existing: [],
    conflicting: [],
    retentionDays: { before: 0, after: 0 },
    registered,
  };
  const toAdd: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const has = customAttributes?.[key.name];
    const want = INDEXED[key.type];
    if (has === undefined || has === null) toAdd[key.name] = want;
    else if (has === want) report.existing.push(key.name);
    else
      report.conflicting.push({
        name: key.name,
        has: IndexedValueType[has] ?? String(has),
        want: IndexedValueType[want],
      });
  }
  if (Object.keys(toAdd).length) {
    await whenNamespaceKnown(() =>
      connection.operatorService.addSearchAttributes({ namespace, searchAttributes: toAdd }),
    );
    report.added.push(...Object.keys(toAdd));
  }

  const described = await connection.workflowService.describeNamespace({ namespace });
  const beforeMs = protoMs(described.config?.workflowExecutionRetentionTtl) ?? 0;
  report.retentionDays.before = beforeMs / 86_400_000;
  report.retentionDays.after = report.retentionDays.before;
  if (report.retentionDays.before < wantDays) {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: toProtoDuration(wantDays * 86_400_000) },
    });
    report.retentionDays.after = wantDays;
  }
  return report;
}

async function main(): Promise<void> {
  // Only where Temporal is: the envconfig variables (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, …), not
  // the services' secrets, so a one-shot setup job needs nothing else (docker-compose.yml's temporal-setup).
  const target = resolveTemporalTarget({ temporal: { namespace: 'default' } }, process.env);
  const retention = process.argv.find((a) => a.startsWith('--retention-days='))?.split('=')[1];
  const connection = await Connection.connect({
    ...connectionOptions(target),
    connectTimeout: 5000,
  });
  try {
    const r = await setupNamespace(connection, target.namespace, {
      retentionDays: retention ? Number(retention) : undefined,
    });
    const lines = [
      `namespace ${r.namespace} on ${target.address}${r.registered ? ' (registered now)' : ''}`,
      `  search attributes added:   ${r.added.join(', ') || '(none)'}`,
      `  search attributes present: ${r.existing.join(', ') || '(none)'}`,
      ...r.conflicting.map((c) => `  CONFLICT: ${c.name} exists as ${c.has}, Switchyard needs ${c.want}`),
      `  retention: ${r.retentionDays.before} days${r.retentionDays.after !== r.retentionDays.before ? ` → ${r.retentionDays.after} days` : ' (kept)'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (r.conflicting.length) process.exitCode = 1;
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
