import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

// A Switchyard role (or a stand-in) as its own Node process from the build, the way the benchmarks and the cluster
// test deploy them: started, awaited until its log says it is ready, stopped with a signal like an orchestrator.

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Part {
  name: string;
  child: ChildProcess;
  /** The ready line, parsed (the services log JSON). */
  line: Record<string, unknown>;
  exit: Promise<Exit>;
  /** Sends `signal`; with `killAfterMs`, a SIGKILL follows if the process has not exited by then. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<Exit>;
}

export interface PartOptions {
  cwd?: string;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Every chunk the process writes, as it comes (a verbose run shows them). */
  onOutput?: (chunk: string) => void;
  /** Where its stdout goes after the ready line, by pid (a log kept to see why a run failed). */
  logFile?: (pid: number) => string;
}

/** Starts `node <script>`; resolves once a stdout line contains `ready`, rejects if the process exits before. */
export function startPart(
  name: string,
  script: string,
  env: Record<string, string | undefined>,
  ready: string,
  options: PartOptions = {},
): Promise<Part> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
    options.onOutput?.(c.toString());
  });
  const exit = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', killAfterMs?: number) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    const exited = await exit;
    clearTimeout(timer);
    return exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let started = false;
    const onData = (c: Buffer) => {
      options.onOutput?.(c.toString());
      if (started) return;
      out += c.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      const hit = lines.find((l) => l.includes(ready));
      if (hit === undefined) return;
      started = true;
      if (options.logFile) {
        child.stdout!.off('data', onData);
        child.stdout!.pipe(fs.createWriteStream(options.logFile(child.pid!)));
      }
      resolve({ name, child, line: JSON.parse(hit) as Record<string, unknown>, exit, stop });
    };
    child.stdout!.on('data', onData);
    void exit.then((e) => {
      if (!started) reject(new Error(`${name} exited (${e.code ?? e.signal}) before "${ready}": ${stderr}`));
    });
  });
}
