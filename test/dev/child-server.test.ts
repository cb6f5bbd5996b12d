import { spawn } from 'node:child_process';
import path from 'node:path';
import { spawnGuarded } from '../../src/dev/child-server';

const ROOT = path.resolve(__dirname, '../..');
const MODULE = path.join(ROOT, 'src/dev/child-server.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('a server started through the process guard', () => {
  test('stop() ends it and reports its exit', async () => {
    const server = await spawnGuarded('sleep', ['300'], 'sleep');
    expect(alive(server.pid)).toBe(true);
    await server.stop();
    expect(server.hasExited()).toBe(true);
    expect(alive(server.pid)).toBe(false);
  });

  test('a server that exits by itself is seen to, with its output', async () => {
    const server = await spawnGuarded('sh', ['-c', 'echo about to fail; exit 3'], 'sh');
    await expect(server.exited).resolves.toBe(3);
    expect(server.output()).toContain('about to fail');
  });

  test('when the process that started it is killed with SIGKILL, the server dies too', async () => {
    const script = `require(${JSON.stringify(MODULE)}).spawnGuarded('sleep', ['300'], 'sleep')
      .then((s) => { process.stdout.write(s.pid + '\\n'); setInterval(() => {}, 1000); });`;
    // Node itself with tsx's hooks, not the tsx CLI, which would put a process of its own between.
    const parent = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
      parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before starting the server`)));
    });
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    // kill(pid, 0) succeeds for a zombie too, so this also says the guard reaped it.
    expect(await waitUntil(() => !alive(pid))).toBe(true);
  }, 30_000);
});
