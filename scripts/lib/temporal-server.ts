import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/dev/temporal-dev-server';
import type { Postgres } from './postgres';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
/** The configuration docker-compose.yml mounts into the server container: one source for both. */
export const SERVER_CONFIG_DIR = path.join(ROOT, 'deploy/temporal');

export interface ServerBinaries {
  version: string;
  server: string;
  sqlTool: string;
  schemaDir: string;
}

export interface TemporalTls {
  /** The server's certificate and key, signed by `ca`. */
  cert: string;
  key: string;
  /** The CA that signed both certificates; clients must present one from it (mutual TLS). */
  ca: string;
  /** A client certificate and key, signed by `ca`: what Switchyard's processes present. */
  clientCert: string;
  clientKey: string;
}

export interface TemporalServer {
  address: string;
  logFile: string;
  env: Record<string, string>;
  /** The running server's process id (for reading its CPU time), undefined while stopped. */
  readonly pid: number | undefined;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function postgresEnv(pg: Postgres): Record<string, string> {
  return {
    POSTGRES_SEEDS: pg.host,
    DB_PORT: String(pg.port),
    POSTGRES_USER: pg.user,
    POSTGRES_PWD: pg.password,
  };
}

/** deploy/temporal/setup-schema.sh, as compose's temporal-schema job runs it, with the tool and schema built here. */
export async function setupSchema(bin: ServerBinaries, pg: Postgres): Promise<string> {
  try {
    const { stdout } = await exec('sh', [path.join(SERVER_CONFIG_DIR, 'setup-schema.sh')], {
      env: { PATH: process.env.PATH, SQL_TOOL: bin.sqlTool, SCHEMA_DIR: bin.schemaDir, ...postgresEnv(pg) },
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`setup-schema.sh failed: ${e.stderr || ''}${e.stdout || ''}`, { cause: err });
  }
}

export interface TemporalServerOptions {
  tls?: TemporalTls;
  /** NUM_HISTORY_SHARDS (production.yaml's default is 4). Fixed when the databases are first used: a database set
   * up with one count refuses a server started with another. */
  historyShards?: number;
}

/**
 * `temporal-server --config deploy/temporal --env production start` on free loopback ports, resolving once the
 * frontend answers for the system namespace. `start` again after `stop` brings it back on the same ports.
 */
export async function startTemporalServer(
  bin: ServerBinaries,
  pg: Postgres,
  dir: string,
  options: TemporalServerOptions = {},
): Promise<TemporalServer> {
  const { tls, historyShards } = options;
  const ports = await Promise.all(
    Array.from({ length: 10 }, (_, i) => (MEMBERSHIP.includes(i) ? lowFreePort() : freePort())),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...postgresEnv(pg),
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: path.join(SERVER_CONFIG_DIR, 'dynamicconfig.yaml'),
    FRONTEND_GRPC_PORT: String(ports[0]),
    FRONTEND_MEMBERSHIP_PORT: String(ports[1]),
    FRONTEND_HTTP_PORT: String(ports[2]),
    MATCHING_GRPC_PORT: String(ports[3]),
    MATCHING_MEMBERSHIP_PORT: String(ports[4]),
    HISTORY_GRPC_PORT: String(ports[5]),
    HISTORY_MEMBERSHIP_PORT: String(ports[6]),
    WORKER_GRPC_PORT: String(ports[7]),
    WORKER_MEMBERSHIP_PORT: String(ports[8]),
    PROMETHEUS_PORT: String(ports[9]),
    ...(historyShards ? { NUM_HISTORY_SHARDS: String(historyShards) } : {}),
    ...(tls ? { TEMPORAL_TLS_CERT: tls.cert, TEMPORAL_TLS_KEY: tls.key, TEMPORAL_TLS_CA: tls.ca } : {}),
  };
  const address = `127.0.0.1:${ports[0]}`;
  const logFile = path.join(dir, `temporal-server-${ports[0]}.log`);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const server: TemporalServer = {
    address,
    logFile,
    env,
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async start() {
      const fd = fs.openSync(logFile, 'a');
      child = spawn(
        bin.server,
        ['--root', '/', '--config', SERVER_CONFIG_DIR, '--env', 'production', '--allow-no-auth', 'start'],
        { env, stdio: ['ignore', fd, fd] },
      );
      fs.closeSync(fd);
      let exit: string | undefined;
      exited = new Promise((resolve) =>
        child!.once('exit', (code, signal) => {
          exit = String(code ?? signal);
          resolve();
        }),
      );
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (exit !== undefined) throw new Error(`temporal-server exited (${exit}); ${logFile} ends:\n${tail(logFile)}`);
        if (await answers(address, tls)) return;
        if (Date.now() > deadline)
          throw new Error(`temporal-server not ready on ${address} in 90 s:\n${tail(logFile)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    async stop(signal = 'SIGTERM') {
      child?.kill(signal);
      await exited;
    },
  };
  await server.start();
  return server;
}

async function answers(address: string, tls?: TemporalTls): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({
      address,
      connectTimeout: 1000,
      tls: tls
        ? {
            serverNameOverride: 'localhost',
            serverRootCACertificate: fs.readFileSync(tls.ca),
            clientCertPair: { crt: fs.readFileSync(tls.clientCert), key: fs.readFileSync(tls.clientKey) },
          }
        : undefined,
    });
    await connection.workflowService.describeNamespace({ namespace: 'temporal-system' });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function tail(file: string, lines = 12): string {
  if (!fs.existsSync(file)) return '';
  const last = fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines);
  // The server logs JSON with whole stack traces; the message and the error say what went wrong.
  return last.map((l) => (l.length > 600 ? `${l.slice(0, 600)}…` : l)).join('\n');
}

// Indexes of the membership ports below: the server stores them in a PostgreSQL smallint (cluster_membership), so
// they must be under 32768, where the OS never hands out a port 0 listener.
const MEMBERSHIP = [1, 4, 6, 8];

/** A free port in 20000–32767, found by listening on random candidates. */
async function lowFreePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 20000–32767 for the Temporal membership listeners');
}
