import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/dev/temporal-dev-server';

const exec = promisify(execFile);

export interface Postgres {
  host: string;
  port: number;
  /** Temporal's role: a password login over TCP, as a managed PostgreSQL would give it. */
  user: string;
  password: string;
  logFile: string;
  /** The data directory; its postmaster.pid names the server's process while it runs. */
  dataDir: string;
  start(): Promise<void>;
  /** A fast shutdown (`pg_ctl stop -m fast`): open sessions are ended, as in a failover or a maintenance restart. */
  stop(): Promise<void>;
}

// initdb and postgres refuse to run as root; as root (CI containers), they run as Debian's `postgres` user.
function asDbUser(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [bin, args];
  return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
}

async function run(bin: string, args: string[]): Promise<string> {
  const [cmd, argv] = asDbUser(bin, args);
  try {
    return (await exec(cmd, argv, { env: { PATH: process.env.PATH, LANG: 'C.UTF-8' } })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`, {
      cause: err,
    });
  }
}

/**
 * A PostgreSQL server of its own in `dir` (initdb, then pg_ctl), on a free loopback port, with a password-login role
 * for Temporal that may create its databases. Local superuser access goes over the Unix socket in `dir`.
 */
export async function startPostgres(binDir: string, dir: string): Promise<Postgres> {
  const data = path.join(dir, 'data');
  const socketDir = path.join(dir, 'socket');
  const logFile = path.join(dir, 'postgres.log');
  fs.mkdirSync(socketDir, { recursive: true });
  fs.writeFileSync(logFile, '');
  if (process.getuid?.() === 0) await exec('chown', ['-R', 'postgres', dir]);
  await run(path.join(binDir, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--no-instructions',
  ]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${socketDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=300',
    // Each restart scenario ends sessions, so a crashed session's locks must not outlive it for long.
    '-c idle_in_transaction_session_timeout=60s',
  ].join(' ');
  const pgCtl = path.join(binDir, 'pg_ctl');
  const pg: Postgres = {
    host: '127.0.0.1',
    port,
    user: 'temporal',
    password: randomBytes(18).toString('base64url'),
    logFile,
    dataDir: data,
    start: async () => void (await run(pgCtl, ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start'])),
    stop: async () => void (await run(pgCtl, ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'])),
  };
  await pg.start();
  await run(path.join(binDir, 'psql'), [
    '-h',
    socketDir,
    '-p',
    String(port),
    '-U',
    'postgres',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    `CREATE ROLE ${pg.user} LOGIN CREATEDB PASSWORD '${pg.password}'`,
  ]);
  return pg;
}
