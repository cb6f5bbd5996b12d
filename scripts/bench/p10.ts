// P10: the production topology's figures. P1 (the ingress against raw starts) and P4 (orderPaid flows end to end)
// on the Temporal server built from source on PostgreSQL, at 1, 4 and 16 history shards, beside the same two on the
// run's dev server; and the CPU each part spent, so docs/capacity.md can say what a core of each delivers.
// One round (a fresh PostgreSQL and server per shard count takes a minute); BENCH_P10_SHARDS="1,4,16" picks them.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { provisionPostgres, provisionTemporalServer } from '../../src/dev/provision-cluster.js';
import { startPostgres } from '../lib/postgres';
import { setupSchema, startTemporalServer } from '../lib/temporal-server';
import { cpuMeter } from './cpu';
import { type BenchContext, deploy, runLoad } from './parts';
import { endToEnd, f0, f1, f2, num, print, type Row, tag, temporalClient } from './scenarios';

const CONCURRENCY = [1, 8, 32] as const;

interface Figures {
  /** P1: ingress and raw-start rates per concurrency. */
  ingress: number[];
  raw: number[];
  /** CPU cores each part used while P1 ran at the top concurrency (ingress, then raw start). */
  ingressCpu: Record<string, number>;
  rawCpu: Record<string, number>;
  /** P4: flows/s end to end, and the cores each part used meanwhile. */
  flows: number;
  flowsCpu: Record<string, number>;
  /** PostgreSQL transactions committed per flow during P4 (none on the dev server's SQLite). */
  commitsPerFlow?: number;
  /** History events of one of those flows: what the server writes for each. */
  eventsPerFlow: number;
}

/** P1 and P4 against the Temporal server of `target`; `server` names its processes whose CPU counts. */
async function measure(
  target: BenchContext,
  server: Record<string, number | undefined>,
  commits?: () => Promise<number>,
): Promise<Figures> {
  const requests = num('BENCH_P10_REQUESTS', 400);
  const flowCount = num('BENCH_P10_FLOWS', 500);
  const ingress: number[] = [];
  const raw: number[] = [];
  let ingressCpu: Record<string, number> = {};
  let rawCpu: Record<string, number> = {};
  const d = await deploy(target, { api: true });
  try {
    for (const c of CONCURRENCY) {
      const drive = { mode: 'closed' as const, count: requests, concurrency: c, warmup: 20 };
      const top = c === CONCURRENCY[CONCURRENCY.length - 1];
      let meter = cpuMeter({ ...server, api: d.pids.api, all: process.pid });
      const a = await runLoad(target, d.env, {
        op: 'webhook',
        url: d.ingress!,
        secret: d.secret,
        ...drive,
        tag: tag('a'),
      });
      if (top) ingressCpu = meter.stop();
      meter = cpuMeter({ ...server, all: process.pid });
      const b = await runLoad(target, d.env, { op: 'start', ...drive, tag: tag('b') });
      if (top) rawCpu = meter.stop();
      if (a.errors || b.errors) throw new Error(`P10: starts failed: ${a.firstError ?? b.firstError}`);
      ingress.push(a.perSecond);
      raw.push(b.perSecond);
    }
  } finally {
    await d.stop();
  }
  const e = await deploy(target, { api: true, worker: 'real' });
  // With the deployment's payload keys: listing an execution decodes its memo, which is encrypted.
  const { client, close } = await temporalClient(target, e.env).catch(async (err: unknown) => {
    await e.stop();
    throw err;
  });
  try {
    const committed = await commits?.();
    const meter = cpuMeter({
      ...server,
      api: e.pids.api,
      worker: e.pids.worker,
      sandbox: e.pids.sandbox,
      all: process.pid,
    });
    const run = await endToEnd(target, e, client, flowCount);
    const flowsCpu = meter.stop();
    const commitsPerFlow = commits ? ((await commits()) - committed!) / flowCount : undefined;
    let eventsPerFlow = NaN;
    for await (const flow of client.workflow.list({ query: `TaskQueue = "${e.prefix}switchyard"`, pageSize: 1 })) {
      eventsPerFlow = (await client.workflow.getHandle(flow.workflowId, flow.runId).fetchHistory()).events?.length ?? 0;
      break;
    }
    return { ingress, raw, ingressCpu, rawCpu, flows: run.perSecond, flowsCpu, commitsPerFlow, eventsPerFlow };
  } finally {
    await e.stop();
    await close();
  }
}

/** A fresh PostgreSQL and Temporal server (deploy/temporal/production.yaml) with `shards` history shards. */
async function withCluster<T>(
  shards: number,
  fn: (target: BenchContext, pids: Record<string, number | undefined>, commits: () => Promise<number>) => Promise<T>,
  ctx: BenchContext,
): Promise<T> {
  const pg = await provisionPostgres({ quiet: true });
  const bin = await provisionTemporalServer({ quiet: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-bench-p10-${shards}-`));
  fs.chmodSync(dir, 0o755);
  const postgres = await startPostgres(pg.binDir, path.join(dir, 'pg'));
  try {
    await setupSchema(bin, postgres);
    const temporal = await startTemporalServer(bin, postgres, dir, { historyShards: shards });
    try {
      // The operator's step after the schema (`npm run setup`): the namespace and Switchyard's search attributes.
      await promisify(execFile)(process.execPath, [path.join(ctx.build, 'src/ops/setup.js')], {
        env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: 'default' },
      });
      const postmaster = Number(fs.readFileSync(path.join(postgres.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Transactions committed in Temporal's two databases so far (pg_stat_database, as Temporal's role).
      const commits = async () => {
        const sql =
          "SELECT sum(xact_commit) FROM pg_stat_database WHERE datname IN ('temporal', 'temporal_visibility')";
        const { stdout } = await promisify(execFile)(
          path.join(pg.binDir, 'psql'),
          ['-h', postgres.host, '-p', String(postgres.port), '-U', postgres.user, '-d', 'temporal', '-tAc', sql],
          { env: { PATH: process.env.PATH, PGPASSWORD: postgres.password } },
        );
        return Number(stdout.trim());
      };
      return await fn(
        { ...ctx, address: temporal.address, serverPid: temporal.pid },
        { temporal: temporal.pid, postgres: postmaster },
        commits,
      );
    } finally {
      await temporal.stop();
    }
  } finally {
    await postgres.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The cores each part used. `all` is this process's tree: every part it spawned and the load generator, whose share
 * is what the named parts leave. PostgreSQL is not in it: `pg_ctl` starts the server detached.
 */
const cores = (cpu: Record<string, number>) => {
  const { all, machine, ...parts } = cpu;
  const named = Object.entries(parts).reduce((n, [name, c]) => (name === 'postgres' ? n : n + c), 0);
  return [
    ...Object.entries(parts).map(([name, c]) => `${name} ${f2(c)}`),
    `load generator ${f2(all! - named)}`,
    `machine ${f2(machine!)}`,
  ].join(', ');
};

/** What one core of `part` delivers: the rate divided by the cores it used. */
const perCore = (rate: number, cpu: Record<string, number>, part: string) => (cpu[part] ? rate / cpu[part] : NaN);

export async function p10(ctx: BenchContext): Promise<Row[]> {
  const shards = (process.env.BENCH_P10_SHARDS ?? '1,4,16').split(',').map(Number);
  const rows: Row[] = [];
  const dev = await measure(ctx, { temporal: ctx.serverPid });
  const report = (name: string, f: Figures, server: string[]) => {
    const top = CONCURRENCY.length - 1;
    rows.push(
      print({
        scenario: `P10 P1 ingress ÷ raw start at concurrency ${CONCURRENCY.join(' / ')}, ${name} (1 round)`,
        measured: f.ingress.map(f0).join(' / ') + ' per s',
        baseline: `raw ${f.raw.map(f0).join(' / ')} per s; dev server ingress ${dev.ingress.map(f0).join(' / ')}`,
        ratio: f.ingress.map((a, i) => f2(a / f.raw[i]!)).join(' / '),
        goal: 'reported',
      }),
      print({
        scenario: `P10 P4 orderPaid flows end to end, ${name} (1 round)`,
        measured:
          `${f1(f.flows)} flows/s, ${f.eventsPerFlow} history events a flow` +
          (f.commitsPerFlow !== undefined ? `; ${f1(f.commitsPerFlow)} PostgreSQL commits a flow` : ''),
        baseline: `dev server ${f1(dev.flows)} flows/s`,
        ratio: f2(f.flows / dev.flows),
        goal: 'reported',
      }),
      print({
        scenario: `P10 per core, ${name}: cores used (P1 ingress at ${CONCURRENCY[top]}; P4)`,
        measured: `ingress ${f0(f.ingress[top]!)}/s on ${cores(f.ingressCpu)}; flows ${f1(f.flows)}/s on ${cores(f.flowsCpu)}`,
        baseline: `raw start ${f0(f.raw[top]!)}/s on ${cores(f.rawCpu)}`,
        ratio:
          `per core: API ${f0(perCore(f.ingress[top]!, f.ingressCpu, 'api'))} webhooks/s; ` +
          server
            .map(
              (p) =>
                `${p} ${f0(perCore(f.raw[top]!, f.rawCpu, p))} starts/s, ${f1(perCore(f.flows, f.flowsCpu, p))} flows/s`,
            )
            .join('; ') +
          `; worker ${f1(perCore(f.flows, f.flowsCpu, 'worker'))} flows/s`,
        goal: 'docs/capacity.md',
      }),
    );
  };
  report('dev server (SQLite)', dev, ['temporal']);
  for (const n of shards) {
    const f = await withCluster(n, (target, pids, commits) => measure(target, pids, commits), ctx);
    report(`temporal-server on PostgreSQL, ${n} shard${n === 1 ? '' : 's'}`, f, ['temporal', 'postgres']);
  }
  return rows;
}
