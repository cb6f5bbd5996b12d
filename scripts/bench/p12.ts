// P12: how long `npm test` takes here, with the binaries cached. Runs package.json's own test script step by step
// (its `&&` parts), timing each, so the row says where the time goes. One round: the suite alone is minutes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuByKind } from './cpu';
import { ROOT } from './parts';
import { f0, print, type Row, verdict } from './scenarios';

const GOAL_SECONDS = 180;

/** The kinds of process of the suite, by a pattern of the command line, first match wins: the CPU split's rows. */
const KINDS: ReadonlyArray<[RegExp, string]> = [
  [/jest-worker|processChild/, 'jest workers'],
  [/node_modules\/\.bin\/jest|jest-cli|jest\/bin/, 'jest main'],
  [/temporal-test-server/, 'time-skipping server'],
  [/start-dev/, 'Temporal dev server'],
  [/esbuild/, 'esbuild (tsx)'],
  [/tsx/, 'processes through tsx'],
  [/test-build-/, 'children from the prebuilt src/'],
  [/schemathesis|python/, 'schemathesis'],
  [/chrom/i, 'Chromium'],
  [/mailpit/, 'Mailpit'],
  [/stripe-mock/, 'stripe-mock'],
  [/postgres/, 'PostgreSQL'],
  [/typescript\/bin\/tsc|\btsc\b/, 'tsc'],
  [/eslint/, 'eslint'],
  [/\bgo\b|\/go\//, 'go'],
  [/node/, 'other node processes'],
];

function partOf(argv: string[]): string {
  const line = argv.join(' ');
  return KINDS.find(([pattern]) => pattern.test(line))?.[1] ?? 'other processes';
}

function runStep(command: string, log: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const fd = fs.openSync(log, 'a');
    const child = spawn('sh', ['-c', command], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`P12: \`${command}\` exited ${code}; its output is in ${log}`));
      resolve((performance.now() - started) / 1000);
    });
  });
}

export async function p12(): Promise<Row[]> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { test: string } };
  const steps = pkg.scripts.test.split('&&').map((s) => s.trim());
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-p12-')), 'npm-test.log');
  const times: Array<[string, number]> = [];
  // The machine's busy CPU over the run: the floor a suite of this much work has on these cores, however it is split;
  // and its split by the kind of process that used it.
  const meter = cpuByKind(partOf);
  for (const step of steps) times.push([step.split(' ').slice(0, 2).join(' '), await runStep(step, log)]);
  const { byKind: parts, busy: cpu } = meter.stop();
  const total = times.reduce((n, [, s]) => n + s, 0);
  const cores = os.cpus().length;
  fs.rmSync(path.dirname(log), { recursive: true, force: true });
  return [
    print({
      scenario: 'P12 `npm test` on this machine, binaries cached (1 round)',
      measured:
        `${f0(total)} s: ${times.map(([name, s]) => `${name} ${f0(s)} s`).join(', ')}; ` +
        `CPU ${f0(cpu)} s, ${(cpu / total).toFixed(2)} of ${cores} cores busy (${f0(cpu / cores)} s with every core busy)`,
      baseline: `goal ${GOAL_SECONDS} s`,
      ratio: (GOAL_SECONDS / total).toFixed(2),
      goal: `≤ ${GOAL_SECONDS} s: ${verdict(total <= GOAL_SECONDS)}`,
    }),
    print({
      scenario: 'P12 … its CPU by kind of process (sampled every 250 ms; a process loses at most its last 250 ms)',
      measured: Object.entries(parts)
        .filter(([, s]) => s >= 0.5)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, s]) => `${kind} ${f0(s)} s (${f0((100 * s) / cpu)} %)`)
        .join(', '),
      baseline: '',
      ratio: '',
      goal: 'reported',
    }),
  ];
}
