import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import type { Readable } from 'node:stream';

// A small POSIX shell stands between us and the server: it starts the server, tells us its pid on fd 3, and kills it
// with SIGTERM as soon as its standard input (a pipe from this process) closes. The kernel closes that pipe however
// this process ends, SIGKILL and a crashed jest worker included, so a server never outlives the process that started
// it. Asynchronous lists read /dev/null unless told otherwise, hence the copy of stdin on fd 4; the watcher writes to
// /dev/null so that no pipe of ours stays open after the guard.
const GUARD =
  'exec 4<&0; "$0" "$@" </dev/null 3>&- 4<&- & pid=$!; echo "$pid" >&3; exec 3>&-; ' +
  '(cat <&4 >/dev/null; kill $pid 2>/dev/null) >/dev/null 2>&1 & wait $pid';

const KEPT_OUTPUT = 64 * 1024;

export interface GuardedProcess {
  /** The server's pid (not the guard's). */
  pid: number;
  /** The server's stdout and stderr so far, its last 64 KiB. */
  output(): string;
  /** Settles once the server has exited, with its exit code (or 128 + signal number, as a shell reports it). */
  exited: Promise<number | null>;
  /** Whether the server has exited. */
  hasExited(): boolean;
  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`) and resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `bin args…` so that it is killed when `stop()` is called or when this process ends in any way. */
export async function spawnGuarded(bin: string, args: string[], what: string): Promise<GuardedProcess> {
  const guard = spawn('/bin/sh', ['-c', GUARD, bin, ...args], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-KEPT_OUTPUT);
  };
  guard.stdout.setEncoding('utf8').on('data', keep);
  guard.stderr.setEncoding('utf8').on('data', keep);
  // The guard exits when `wait` returns, that is when the server has exited; its status is the server's.
  let exitedFlag = false;
  const exited = new Promise<number | null>((resolve) => {
    guard.once('exit', (code) => {
      exitedFlag = true;
      resolve(code);
    });
  });
  const spawnFailure = once(guard, 'error').then(([err]) => {
    throw new Error(`${what}: /bin/sh could not start ${bin}: ${(err as Error).message}`, { cause: err });
  });
  // The guard closes fd 3 right after writing the pid, so its end comes after the pid, or without one on a failure.
  const pidPipe = guard.stdio[3] as Readable;
  const pid = await Promise.race([
    spawnFailure,
    new Promise<number>((resolve, reject) => {
      let text = '';
      pidPipe.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      pidPipe.once('end', () => {
        const n = Number(text.trim());
        if (Number.isInteger(n) && n > 0) resolve(n);
        else
          reject(new Error(`${what}: the process guard gave no pid for ${bin} (${JSON.stringify(text)}):\n${output}`));
      });
    }),
  ]);

  return {
    pid,
    output: () => output,
    exited,
    hasExited: () => exitedFlag,
    async stop(graceMs = 5_000) {
      if (exitedFlag) return;
      guard.stdin.end();
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        guard.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `count` distinct ports nobody listens on right now (the OS picks them; all are held until all are picked). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((srv) => (srv.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  }
}

/**
 * Polls `ready` until it returns true. Fails, with the server's output, as soon as the server exits or once
 * `timeoutMs` has passed; `ready` throwing counts as not ready yet.
 */
export async function waitUntilReady(
  server: GuardedProcess,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.hasExited()) {
      throw new Error(
        `${what} exited (status ${await server.exited}) before it was ready; its output ends:\n${tailOf(server)}`,
      );
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${what} was not ready within ${timeoutMs / 1000} s; its output ends:\n${tailOf(server)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tailOf(server: GuardedProcess, lines = 15): string {
  return server.output().trim().split('\n').slice(-lines).join('\n');
}
