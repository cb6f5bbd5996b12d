// `npm run bench -- [p1] [p4]`: benchmarks with every part in its own process, as production runs them: a dev
// server (SQLite file with WAL, as `npm start` runs it), the sandbox, the API and the worker from `npm run build`
// output, and this process as the load generator. Each scenario runs its variants alternately (A B A B A B), prints
// the median of the rounds side by side with their ratio, and appends a row to bench/RESULTS.md.
//
// Scenarios so far (issue 13 lists the rest):
//   p1  ingress accepted deliveries/s and p50 at concurrency 1, 8 and 32, payload encryption on vs off
//   p4  orderPaid flows completed/s end to end (2 activities, sandbox answering at once), encryption on vs off
// Environment: BENCH_ROUNDS (default 3), BENCH_P1_REQUESTS (per concurrency, default 400), BENCH_P4_FLOWS (300).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { provisionTemporal } from '../src/dev/provision-temporal.js';
import { freePort, startDevServer } from '../src/dev/temporal-dev-server';
import { sandboxEnv } from '../src/sandbox/server';
import { SYSTEMS } from '../src/integrations/systems';
import { orderPaidBody, signShop } from './lib/senders';

const ROOT = path.resolve(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const P1_REQUESTS = Number(process.env.BENCH_P1_REQUESTS ?? 400);
const P4_FLOWS = Number(process.env.BENCH_P4_FLOWS ?? 300);

interface Part {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node <script>` from the build; resolves once a log line says `ready` (its parsed JSON). */
function startPart(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: string,
): Promise<Part & { line: Record<string, unknown> }> {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        if (!l.includes(ready)) continue;
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({
          child,
          line: JSON.parse(l) as Record<string, unknown>,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`${name} exited before "${ready}": ${stderr.slice(-2000)}`)));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Production-shaped configuration for one run: explicit secrets, the sandbox as every third party. */
function deploymentEnv(address: string, sandboxUrl: string, encryption: boolean) {
  const keys = Object.fromEntries(SYSTEMS.map((s) => [s.name, `bench_${s.name}_${randomBytes(12).toString('hex')}`]));
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    TEMPORAL_ADDRESS: address,
    TASK_QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}-`,
    SHOP_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
    SHOPIFY_WEBHOOK_SECRET: `shpss_${randomBytes(16).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
    API_ENABLED: 'false',
    SCHEDULES_APPLY_ON_START: 'false',
    ...(encryption ? { PAYLOAD_KEYS: `bench:${randomBytes(32).toString('base64')}` } : { PAYLOAD_ENCRYPTION: 'off' }),
    ...sandboxEnv(sandboxUrl, keys),
  };
  for (const s of SYSTEMS) {
    const p = s.name.toUpperCase().replace(/-/g, '_');
    if (s.auth !== 'secret-url') env[`${p}_API_KEY`] = keys[s.name]!;
    env[`${p}_RATE_LIMIT_PER_SECOND`] = '1000';
  }
  return env;
}

interface Deployment {
  ingress: string;
  sandboxUrl: string;
  secret: string;
  stop(): Promise<void>;
}

async function deploy(build: string, address: string, encryption: boolean, withWorker: boolean): Promise<Deployment> {
  const sandboxPort = await freePort();
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const env = deploymentEnv(address, sandboxUrl, encryption);
  const parts: Part[] = [];
  try {
    parts.push(
      await startPart(
        'sandbox',
        path.join(build, 'src/sandbox/main.js'),
        { ...env, SANDBOX_PORT: String(sandboxPort) },
        'sandbox listening',
      ),
    );
    const api = await startPart(
      'api',
      path.join(build, 'src/api/main.js'),
      { ...env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1' },
      'api listening',
    );
    parts.push(api);
    if (withWorker)
      parts.push(await startPart('worker', path.join(build, 'src/worker/main.js'), env, 'worker running'));
    return {
      ingress: api.line.ingress as string,
      sandboxUrl,
      secret: env.SHOP_WEBHOOK_SECRET!,
      stop: async () => {
        for (const p of parts.reverse()) await p.stop();
      },
    };
  } catch (err) {
    for (const p of parts.reverse()) await p.stop();
    throw err;
  }
}

/** Sends `count` distinct signed deliveries, `concurrency` at a time; returns accepted/s and latencies (ms). */
async function load(d: Deployment, count: number, concurrency: number, tag: string) {
  const latencies: number[] = [];
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const eventId = `evt_${tag}_${i}`;
        const signed = signShop(d.secret, eventId, orderPaidBody(eventId, `ORD-${tag}-${i}`));
        const t0 = performance.now();
        const res = await fetch(`${d.ingress}/webhooks/shop`, {
          method: 'POST',
          headers: signed.headers,
          body: signed.body,
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status === 202) accepted += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (accepted !== count) throw new Error(`only ${accepted} of ${count} deliveries were accepted`);
  const sorted = latencies.sort((a, b) => a - b);
  return { perSecond: count / seconds, p50: pct(sorted, 50), p99: pct(sorted, 99) };
}

async function emailsSent(sandboxUrl: string): Promise<number> {
  const res = await fetch(`${sandboxUrl}/__admin/email-platform/requests`);
  const { data } = (await res.json()) as { data: Array<{ method: string; status: number }> };
  return data.filter((r) => r.method === 'POST' && r.status === 201).length;
}

type Variant = 'on' | 'off';
const VARIANTS: Variant[] = ['on', 'off'];

async function p1(build: string, address: string) {
  const rows: string[] = [];
  for (const concurrency of [1, 8, 32]) {
    const seen: Record<Variant, Array<{ perSecond: number; p50: number }>> = { on: [], off: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of VARIANTS) {
        const d = await deploy(build, address, v === 'on', false);
        try {
          await load(d, 20, concurrency, `warm${randomBytes(3).toString('hex')}`);
          seen[v].push(await load(d, P1_REQUESTS, concurrency, `p1${randomBytes(3).toString('hex')}`));
        } finally {
          await d.stop();
        }
      }
    }
    const on = median(seen.on.map((s) => s.perSecond));
    const off = median(seen.off.map((s) => s.perSecond));
    rows.push(
      `| P1 ingress, concurrency ${concurrency} | ${on.toFixed(0)}/s, p50 ${median(seen.on.map((s) => s.p50)).toFixed(1)} ms | ` +
        `${off.toFixed(0)}/s, p50 ${median(seen.off.map((s) => s.p50)).toFixed(1)} ms | ${(on / off).toFixed(2)} |`,
    );
    process.stdout.write(`${rows.at(-1)}\n`);
  }
  return rows;
}

async function p4(build: string, address: string) {
  const seen: Record<Variant, number[]> = { on: [], off: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of VARIANTS) {
      const d = await deploy(build, address, v === 'on', true);
      try {
        const started = performance.now();
        await load(d, P4_FLOWS, 16, `p4${randomBytes(3).toString('hex')}`);
        while ((await emailsSent(d.sandboxUrl)) < P4_FLOWS) await new Promise((r) => setTimeout(r, 100));
        seen[v].push(P4_FLOWS / ((performance.now() - started) / 1000));
      } finally {
        await d.stop();
      }
    }
  }
  const on = median(seen.on);
  const off = median(seen.off);
  const row = `| P4 ${P4_FLOWS} orderPaid flows end to end | ${on.toFixed(1)} flows/s | ${off.toFixed(1)} flows/s | ${(on / off).toFixed(2)} |`;
  process.stdout.write(`${row}\n`);
  return [row];
}

const SCENARIOS: Record<string, (build: string, address: string) => Promise<string[]>> = { p1, p4 };

async function main(): Promise<void> {
  const asked = process.argv.slice(2).map((s) => s.toLowerCase());
  const unknown = asked.filter((s) => !(s in SCENARIOS));
  if (unknown.length)
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const run = asked.length ? asked : Object.keys(SCENARIOS);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const build = path.join(ROOT, '.cache', 'bench-build');
  process.stdout.write(`building into ${path.relative(ROOT, build)} (npm run build)…\n`);
  await promisify(execFile)('npm', ['run', 'build', '--', '--outDir', build], { cwd: ROOT });
  const { cli } = await provisionTemporal({ quiet: true, cliOnly: true });
  if (cli.type !== 'existing-path') throw new Error('no Temporal CLI; run `node scripts/provision-temporal`');
  const server = await startDevServer({
    cliPath: cli.path,
    port: 0,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
  });
  const rows: string[] = [];
  try {
    process.stdout.write(`| scenario | encryption on | encryption off | on ÷ off |\n| --- | --- | --- | --- |\n`);
    for (const s of run) rows.push(...(await SCENARIOS[s]!(build, server.address)));
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const commit = (await promisify(execFile)('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
  const cpus = os.cpus();
  const header = `\n## ${new Date().toISOString()} · ${commit} · ${cpus.length} × ${cpus[0]?.model ?? 'cpu'} · Node ${process.version} · Temporal CLI ${path.basename(path.dirname(cli.path))} · ${ROUNDS} rounds, medians\n\n| scenario | encryption on | encryption off | on ÷ off |\n| --- | --- | --- | --- |\n`;
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, '# Benchmark results (`npm run bench`), newest last\n');
  fs.appendFileSync(file, header + rows.join('\n') + '\n');
  process.stdout.write(`appended to ${path.relative(ROOT, file)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
