// CPU time per process tree from /proc (Linux), for figures per core: a part's throughput divided by the CPU seconds
// it spent per wall second. A tree, because PostgreSQL serves each connection from its own child process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticksPerSecond;
}

interface Stat {
  ppid: number;
  /** utime + stime: this process's own CPU. */
  own: number;
  /** cutime + cstime: children it has already reaped (a PostgreSQL backend whose session ended). */
  reaped: number;
  /** When it started, in clock ticks since boot: with the pid, it names one process even when pids are reused. */
  start: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone between the listing and the read
  }
  // The command name (field 2) is in parentheses and may hold spaces; fields are counted after its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(fields[i - 3]);
  return { ppid: n(4), own: n(14) + n(15), reaped: n(16) + n(17), start: n(22) };
}

/** Every process on the machine now, by pid. */
function allStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) stats.set(Number(name), s);
  }
  return stats;
}

/** CPU seconds the process `root` and every live descendant have used so far, reaped children included. */
export function treeCpuSeconds(root: number): number {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  let ticks = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    const s = stats.get(pid);
    if (!s) continue;
    ticks += s.own + s.reaped;
    stack.push(...(children.get(pid) ?? []));
  }
  return ticks / clockTicks();
}

/** CPU seconds the whole machine has been busy (every core; idle and I/O wait left out), from /proc/stat. */
export function machineBusySeconds(): number {
  const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / clockTicks();
}

/**
 * Starts counting the CPU of named process trees; `stop` returns each one's CPU seconds per wall second since (the
 * cores it used), and `machine`: the cores the whole machine used, load generator and everything else included.
 */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const known = Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined);
  const before = new Map(known.map(([name, pid]) => [name, treeCpuSeconds(pid)]));
  const machine = machineBusySeconds();
  const since = performance.now();
  return {
    stop(): Record<string, number> {
      const wall = (performance.now() - since) / 1000;
      return {
        ...Object.fromEntries(known.map(([name, pid]) => [name, (treeCpuSeconds(pid) - before.get(name)!) / wall])),
        machine: (machineBusySeconds() - machine) / wall,
      };
    },
  };
}

/**
 * Samples every process on the machine every `everyMs` and sums the CPU each one used while it was seen, by the kind
 * `kindOf` gives its command line. A process that exits between two samples loses at most its last `everyMs` of CPU;
 * `stop` also returns what the machine was busy with in all, so the loss is shown rather than hidden.
 */
export function cpuByKind(kindOf: (argv: string[]) => string, everyMs = 250) {
  const seen = new Map<string, { kind: string; first: number; last: number }>();
  /** `fromNow`: count a process from its CPU so far (running before counting began), else from its start. */
  const sample = (fromNow: boolean) => {
    for (const [pid, stat] of allStats()) {
      const id = `${pid}@${stat.start}`;
      const known = seen.get(id);
      if (known) {
        known.last = stat.own;
        continue;
      }
      let argv: string[];
      try {
        argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      } catch {
        continue; // gone since the listing
      }
      seen.set(id, { kind: kindOf(argv), first: fromNow ? stat.own : 0, last: stat.own });
    }
  };
  sample(true);
  const machine = machineBusySeconds();
  const timer = setInterval(() => sample(false), everyMs);
  return {
    /** CPU seconds by kind (`unattributed`: what no sampled process accounts for), and the machine's busy seconds. */
    stop(): { byKind: Record<string, number>; busy: number } {
      clearInterval(timer);
      sample(false);
      const busy = machineBusySeconds() - machine;
      const byKind: Record<string, number> = {};
      for (const { kind, first, last } of seen.values()) {
        byKind[kind] = (byKind[kind] ?? 0) + (last - first) / clockTicks();
      }
      const attributed = Object.values(byKind).reduce((a, b) => a + b, 0);
      return { byKind: { ...byKind, unattributed: Math.max(0, busy - attributed) }, busy };
    },
  };
}
