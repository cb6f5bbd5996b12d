// `npm run bench -- [p1 … p12 | enc | dup]` (none: all): the benchmarks, with every part in its own process, as
// production runs them: a dev server (SQLite file, as `npm start` runs it), the sandbox, the API, the worker(s) and
// the load generator, each from `npm run build` output. Each scenario alternates what Switchyard does with its
// baseline in the same run, prints the medians and the ratio, and the run appends a table to bench/RESULTS.md.
// Scenarios and their environment knobs are in scripts/bench/scenarios.ts, p10.ts (the production topology) and p12.ts
// (the test suite); BENCH_ROUNDS (default 3) sets the rounds.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { provisionTemporal } from '../src/dev/provision-temporal.js';
import { startDevServer } from '../src/dev/temporal-dev-server';
import { bundleWorkflows } from '../src/worker/workers';
import { type BenchContext, ROOT } from './bench/parts';
import { p10 } from './bench/p10';
import { p12 } from './bench/p12';
import { dup, enc, p1, p2, p3, p4, p5, p6, p7, p8, p9, p11, ROUNDS, type Row } from './bench/scenarios';

// In the order the table reports them.
const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<Row[]>> = {
  p1,
  p2,
  p3,
  p4,
  p5,
  p6,
  p7,
  p8,
  p9,
  p10,
  p11,
  p12,
  enc,
  dup,
};

async function main(): Promise<void> {
  const asked = process.argv.slice(2).map((s) => s.toLowerCase());
  const unknown = asked.filter((s) => !(s in SCENARIOS));
  if (unknown.length)
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  const run = asked.length ? asked : Object.keys(SCENARIOS);

  const exec = promisify(execFile);
  // The commit the build is made from (read first: the tree may move on during a long run).
  const commit = (await exec('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
  const dirty = (await exec('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT })).stdout.trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const build = path.join(ROOT, '.cache', 'bench-build');
  process.stdout.write(`building into ${path.relative(ROOT, build)} (npm run build)…\n`);
  await exec('npm', ['run', 'build', '--', '--outDir', build], { cwd: ROOT });
  // One workflow bundle for every worker of the run (WORKFLOW_BUNDLE_PATH), as a deployment would build it ahead.
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, (await bundleWorkflows()).code);
  const { cli } = await provisionTemporal({ quiet: true, cliOnly: true });
  if (cli.type !== 'existing-path') throw new Error('no Temporal CLI; run `node scripts/provision-temporal`');
  const server = await startDevServer({
    cliPath: cli.path,
    port: 0,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    // BENCH_DEV_SERVER_ARGS (space-separated) adds server flags, to measure what one changes, e.g.
    // "--sqlite-pragma synchronous=off" (a later pragma of the same name wins).
    extraArgs: process.env.BENCH_DEV_SERVER_ARGS?.split(' ').filter(Boolean),
  });
  const ctx = { build, bundlePath, address: server.address, cliPath: cli.path, serverPid: server.process.pid };
  const rows: Row[] = [];
  const started = performance.now();
  const failures: Array<[string, unknown]> = [];
  try {
    process.stdout.write('| scenario | Switchyard | baseline | ratio | goal |\n| --- | --- | --- | --- | --- |\n');
    for (const s of run) {
      try {
        rows.push(...(await SCENARIOS[s]!(ctx)));
      } catch (err) {
        // One scenario's failure is a row of the table, and the others still run; the run exits 1 at the end.
        failures.push([s, err]);
        const measured = String(err).replace(/\s+/g, ' ').slice(0, 300);
        rows.push({ scenario: `${s.toUpperCase()} failed`, measured, baseline: '', ratio: '', goal: '' });
        process.stdout.write(`| ${s.toUpperCase()} failed | ${measured} | | | |\n`);
      }
    }
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const minutes = (performance.now() - started) / 60_000;
  const temporalVersion = (await exec(cli.path, ['--version'])).stdout.trim();
  const cpus = os.cpus();
  const header =
    `\n## ${new Date().toISOString()} · ${commit}${dirty ? '+changes' : ''} · ${cpus.length} × ${cpus[0]?.model ?? 'cpu'} · ` +
    `Node ${process.version} · ${temporalVersion} · ${ROUNDS} rounds, medians · ${run.join(' ')} in ${minutes.toFixed(1)} min\n\n` +
    '| scenario | Switchyard | baseline | ratio | goal |\n| --- | --- | --- | --- | --- |\n';
  const file = path.join(ROOT, 'bench', 'RESULTS.md');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, '# Benchmark results (`npm run bench`), newest last\n');
  const table = rows.map((r) => `| ${r.scenario} | ${r.measured} | ${r.baseline} | ${r.ratio} | ${r.goal} |`);
  fs.appendFileSync(file, header + table.join('\n') + '\n');
  process.stdout.write(`appended to ${path.relative(ROOT, file)}\n`);
  if (failures.length) {
    throw new Error(
      failures.map(([s, err]) => `${s}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`).join('\n'),
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
