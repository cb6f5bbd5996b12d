import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { toProtoDuration } from '../temporal/time';
import { SearchAttributeType } from '@temporalio/common';
import { MAX_ID_BYTES } from '../contracts/workflow-ids';
import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';

const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

export interface DevServerOptions {
  cliPath: string;
  /** gRPC port; 0 picks a free one. */
  port: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  /** SQLite file for executions that survive a restart; undefined keeps them in memory. */
  dbFile?: string;
  /**
   * SQLite's `synchronous` pragma for that file (docs/configuration.md): `normal` (the default) loses no commit when
   * a process crashes and never corrupts the file; `off` also skips the checkpoints' fsyncs, which raised the start
   * rate 1.3–2.7× here, but an OS crash or power loss may corrupt the file; `full` fsyncs every commit.
   */
  dbSync?: 'normal' | 'off' | 'full';
  namespace?: string;
  retentionDays?: number;
  /** Where the server's own log goes; undefined discards it. */
  logFile?: string;
  /** The codec server the Web UI decodes payloads through (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
  /**
   * The server's id limit (limit.maxIDLength, bytes): by default the one deploy/temporal/dynamicconfig.yaml ships,
   * so development and the tests refuse what the deployed cluster refuses.
   */
  maxIdBytes?: number;
  /** More `temporal server start-dev` flags, after ours (the benchmarks' BENCH_DEV_SERVER_ARGS). */
  extraArgs?: string[];
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function tail(file: string | undefined, lines = 15): string {
  if (!file || !fs.existsSync(file)) return '';
  return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/**
 * Starts `temporal server start-dev` with our search attributes registered and the namespace's retention set,
 * and resolves once it answers gRPC.
 */
/**
 * Starts the dev server. With no port given, the ports are picked free and the server binds them a moment later, so
 * another process can take one in between (several test runs on one machine): a server that exits with "address
 * already in use" is started again on new ports, up to three times.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(options);
    } catch (err) {
      const raced = err instanceof Error && /address already in use/.test(err.message);
      if (!raced || options.port || attempt >= 3) throw err;
    }
  }
}

async function startDevServerOnce(options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const port = options.port || (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push('--namespace', namespace);
  args.push('--dynamic-config-value', `limit.maxIDLength=${options.maxIdBytes ?? MAX_ID_BYTES}`);
  // One partition per task queue, as deploy/temporal/dynamicconfig.yaml sets for the systems' queues: the server
  // splits a queue's maxTaskQueueActivitiesPerSecond between its partitions (4 by default), and tasks land on them
  // unevenly, so with four a system's queue dispatched about 76 % of its rate (docs/performance.md, P5).
  args.push('--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1');
  args.push('--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1');
  if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    // WAL lets the UI's reads proceed during writes; under WAL every synchronous level survives a process crash.
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', `synchronous=${options.dbSync ?? 'normal'}`);
  }
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    const type = CLI_TYPE_NAMES[key.type];
    args.push('--search-attribute', `${key.name}=${type}`);
  }
  args.push(...(options.extraArgs ?? []));
  let logFd: number | 'ignore' = 'ignore';
  if (options.logFile) {
    fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
    logFd = fs.openSync(options.logFile, 'a');
  }
  const child = spawn(options.cliPath, args, { stdio: ['ignore', logFd, logFd] });
  if (typeof logFd === 'number') fs.closeSync(logFd);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  child.once('error', () => undefined);

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let connection: Connection | undefined;
  while (!connection) {
    if (exited) {
      throw new Error(
        `temporal dev server exited (${exited.code ?? exited.signal}) before it was ready on ${address}` +
          (options.logFile ? `; its log ${options.logFile} ends:\n${tail(options.logFile)}` : ''),
      );
    }
    try {
      connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.describeNamespace({ namespace });
    } catch {
      await connection?.close().catch(() => undefined);
      connection = undefined;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not become ready on ${address} within 60 s`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const retentionDays = options.retentionDays ?? 7;
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: toProtoDuration(retentionDays * 24 * 3600 * 1000) },
    });
  } finally {
    await connection.close();
  }

  return {
    address,
    namespace,
    uiUrl: options.uiPort !== undefined ? `http://localhost:${options.uiPort}` : undefined,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
