// The parts a benchmark deploys, each its own process from the build (`npm run build` output under .cache/), and the
// load generator it drives them with. Every listener is on a free port; every deployment has its own task-queue
// prefix, so rounds on the one dev server never serve each other's work.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../src/dev/temporal-dev-server';
import { sandboxEnv } from '../../src/sandbox/server';
import { SYSTEMS } from '../../src/registry';
import type { LoadResult, LoadSpec } from './load';
import { startPart as startBuiltPart } from '../lib/parts';
import { WORKER_PROCESS_ENV } from '../../src/worker/node-options';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Where the run's build and workflow bundle are, and which Temporal server the parts use. */
export interface BenchContext {
  build: string;
  bundlePath: string;
  address: string;
  cliPath: string;
  /** The Temporal server's process (its CPU is read per scenario where a figure is per core). */
  serverPid?: number;
}

export interface Part {
  child: ChildProcess;
  line: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Starts `node <script>` (scripts/lib/parts.ts) with the bench's defaults; `stop` does not wait out a drain. */
export async function startPart(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: string,
): Promise<Part> {
  // BENCH_CPU_PROF=<dir> profiles the API (node --cpu-prof), to find what its hot path spends time on.
  const profile =
    name === 'api' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const part = await startBuiltPart(
    name,
    script,
    { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    ready,
    {
      cwd: ROOT,
      nodeArgs: profile,
      // BENCH_LOG_DIR keeps each part's log lines (JSON), to see why a run failed.
      logFile: process.env.BENCH_LOG_DIR
        ? (pid) => path.join(process.env.BENCH_LOG_DIR!, `${name}-${pid}.log`)
        : undefined,
    },
  );
  return {
    child: part.child,
    line: part.line,
    // A worker gives running activities half of SHUTDOWN_TIMEOUT_MS; a benchmark does not need to wait for that.
    stop: async () => void (await part.stop('SIGTERM', 3000)),
  };
}

/** Runs the load generator in its own process and returns what it measured. */
export function runLoad(ctx: BenchContext, env: Record<string, string>, spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // BENCH_LOAD_CPU_PROF=<dir> profiles each load-generator process (P9's callers are the code under test).
    const dir = process.env.BENCH_LOAD_CPU_PROF;
    const profile = dir
      ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `load-${spec.op}-${Date.now()}.cpuprofile`]
      : [];
    const child = spawn(
      process.execPath,
      [...profile, path.join(ctx.build, 'scripts/bench/load.js'), JSON.stringify(spec)],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult);
    });
  });
}

export const API_CLIENT = 'bench';

/** Production-shaped configuration: explicit secrets, the sandbox as every third party, limits raised unless set. */
export function deploymentEnv(ctx: BenchContext, sandboxUrl: string, encryption: boolean) {
  const keys = Object.fromEntries(SYSTEMS.map((s) => [s.name, `bench_${s.name}_${randomBytes(24).toString('hex')}`]));
  const apiKey = randomBytes(32).toString('base64');
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    TEMPORAL_ADDRESS: ctx.address,
    TASK_QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}-`,
    SHOP_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    SHOPIFY_WEBHOOK_SECRET: `shpss_${randomBytes(16).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
    API_ENABLED: 'false',
    API_CLIENTS: JSON.stringify([
      {
        name: API_CLIENT,
        key: `sha256:${createHash('sha256').update(apiKey).digest('hex')}`,
        scopes: ['orders:write'],
        ratePerSecond: 10_000,
      },
    ]),
    SCHEDULES_APPLY_ON_START: 'false',
    WORKFLOW_BUNDLE_PATH: ctx.bundlePath,
    ...(encryption ? { PAYLOAD_KEYS: `bench:${randomBytes(32).toString('base64')}` } : { PAYLOAD_ENCRYPTION: 'off' }),
    ...sandboxEnv(sandboxUrl, keys),
  };
  for (const s of SYSTEMS) {
    const p = s.name.toUpperCase().replace(/-/g, '_');
    if (s.auth !== 'secret-url') env[`${p}_API_KEY`] = keys[s.name]!;
    env[`${p}_RATE_LIMIT_PER_SECOND`] = '10000';
  }
  return { env, apiKey };
}

export interface DeployOptions {
  encryption?: boolean;
  api?: boolean;
  worker?: 'real' | 'noop';
  /** Changed contacts seeded into the CRM stand-in. */
  seedCrmContacts?: number;
  env?: Record<string, string>;
}

export interface Deployment {
  env: Record<string, string>;
  prefix: string;
  sandboxUrl: string;
  ingress?: string;
  /** The API's operator listener (/metrics). */
  operator?: string;
  secret: string;
  apiKey: string;
  worker?: Part;
  /** The process of each part started (sandbox, worker, api). */
  pids: Record<string, number | undefined>;
  stop(): Promise<void>;
}

export async function deploy(ctx: BenchContext, options: DeployOptions): Promise<Deployment> {
  const sandboxPort = await freePort();
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const base = deploymentEnv(ctx, sandboxUrl, options.encryption ?? true);
  // BENCH_DEPLOY_ENV (JSON) adds variables to every deployment, e.g. '{"WORKER_MAX_CACHED_WORKFLOWS":"1000"}'.
  const extra = JSON.parse(process.env.BENCH_DEPLOY_ENV ?? '{}') as Record<string, string>;
  const env = { ...base.env, ...options.env, ...extra };
  const parts: Part[] = [];
  const stop = async () => {
    for (const p of parts.reverse()) await p.stop();
  };
  try {
    parts.push(
      await startPart(
        'sandbox',
        path.join(ctx.build, 'scripts/bench/sandbox.js'),
        { ...env, SANDBOX_PORT: String(sandboxPort), BENCH_SEED_CRM_CONTACTS: String(options.seedCrmContacts ?? 0) },
        'sandbox listening',
      ),
    );
    let worker: Part | undefined;
    if (options.worker) {
      const script = options.worker === 'real' ? 'src/worker/main.js' : 'scripts/bench/noop-worker.js';
      // The worker's memory settings as deployed (WORKER_PROCESS_ENV); BENCH_WORKER_NODE_OPTIONS replaces it, to see what
      // other flags change.
      const nodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS ?? WORKER_PROCESS_ENV.NODE_OPTIONS;
      worker = await startPart(
        'worker',
        path.join(ctx.build, script),
        { ...WORKER_PROCESS_ENV, ...env, NODE_OPTIONS: nodeOptions },
        'worker running',
      );
      parts.push(worker);
    }
    let ingress: string | undefined;
    let operator: string | undefined;
    let api: Part | undefined;
    if (options.api) {
      api = await startPart(
        'api',
        path.join(ctx.build, 'src/api/main.js'),
        { ...env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1' },
        'api listening',
      );
      parts.push(api);
      ingress = api.line.ingress as string;
      operator = api.line.operator as string;
    }
    return {
      env,
      prefix: env.TASK_QUEUE_PREFIX!,
      sandboxUrl,
      ingress,
      operator,
      secret: env.SHOP_WEBHOOK_SECRET!,
      apiKey: base.apiKey,
      worker,
      pids: { sandbox: parts[0]!.child.pid, worker: worker?.child.pid, api: api?.child.pid },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Sets a sandbox system's faults (src/kit/stand-in.ts). */
export async function setFaults(d: Deployment, system: string, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${d.sandboxUrl}/__admin/${system}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`faults of ${system}: ${res.status} ${await res.text()}`);
}

export async function sandboxRequests(d: Deployment, system: string) {
  const res = await fetch(`${d.sandboxUrl}/__admin/${system}/requests`);
  return ((await res.json()) as { data: Array<{ method: string; path: string; status: number }> }).data;
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
