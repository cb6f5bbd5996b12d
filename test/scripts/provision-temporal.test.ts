import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// First-time provisioning on a new machine, without a 4-minute build: `go`, `mvn` and `java` are small fakes that
// produce fake binaries. The long fakes (`go build`, `mvn`) finish only once the script has printed a progress line
// naming their step, so the test waits for a condition instead of a clock, and a build that blocks the event loop
// (no progress line can print) fails instead of passing by luck.
const SCRIPT = path.join(__dirname, '../../scripts/provision-temporal');
const CLI_VERSION = 'v1.8.2';
const TEST_SERVER_VERSION = '1.38.0';

const WAIT_FOR_RELEASE = `
wait_for_release() {
  n=0
  while [ ! -f "$FAKE_ROOT/release-$1" ]; do
    n=$((n + 1))
    if [ "$n" -gt 300 ]; then echo "fake $1: no progress line was printed while it ran" >&2; exit 1; fi
    sleep 0.1
  done
}
`;

const FAKE_GO = `#!/bin/sh
${WAIT_FOR_RELEASE}
case "$1" in
  mod)
    dir="$FAKE_ROOT/module"
    mkdir -p "$dir/cmd/temporal"
    printf 'module github.com/temporalio/cli\\n\\ngo 1.22\\n' > "$dir/go.mod"
    printf '{"Path":"github.com/temporalio/cli","Dir":"%s"}\\n' "$dir"
    ;;
  build)
    while [ "$1" != "-o" ]; do shift; done
    wait_for_release go
    head -c 3000000 /dev/zero > "$2"
    chmod 755 "$2"
    ;;
  *) echo "fake go: unexpected $*" >&2; exit 1 ;;
esac
`;

const FAKE_MVN = `#!/bin/sh
${WAIT_FOR_RELEASE}
for arg in "$@"; do
  case "$arg" in -DoutputDirectory=*) out="\${arg#-DoutputDirectory=}" ;; esac
done
wait_for_release mvn
mkdir -p "$out"
head -c 2000000 /dev/zero > "$out/temporal-test-server-${TEST_SERVER_VERSION}.jar"
`;

// Writes the class-data-sharing archive and exits at once, as a JVM that fails to start a server would.
const FAKE_JAVA = `#!/bin/sh
for arg in "$@"; do
  case "$arg" in -XX:ArchiveClassesAtExit=*) head -c 500000 /dev/zero > "\${arg#-XX:ArchiveClassesAtExit=}" ;; esac
done
`;

interface Run {
  code: number | null;
  stdout: string;
  lines: string[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function sizeOf(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0);
}

describe('provisioning the Temporal binaries', () => {
  let root: string;
  let cache: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-provision-test-'));
    cache = path.join(root, 'cache');
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'go'), FAKE_GO, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'mvn'), FAKE_MVN, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'java'), FAKE_JAVA, { mode: 0o755 });
    // A clean environment: no TEMPORAL_*_PATH from the suite's globalSetup, no real toolchain ahead of the fakes.
    env = {
      PATH: `${bin}:/usr/bin:/bin`,
      HOME: root,
      TMPDIR: root,
      FAKE_ROOT: root,
      SWITCHYARD_CACHE_DIR: cache,
      SWITCHYARD_PROVISION_PROGRESS_MS: '200',
    };
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Runs the script; `onLine` sees each stderr line as it arrives. */
  function provision(args: string[], onLine: (line: string) => void = () => {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stdout = '';
      let pending = '';
      const lines: string[] = [];
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const complete = pending.split('\n');
        pending = complete.pop() ?? '';
        for (const line of complete) {
          lines.push(line);
          onLine(line);
        }
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, lines: pending ? [...lines, pending] : lines }));
    });
  }

  const release = (step: string) => fs.writeFileSync(path.join(root, `release-${step}`), '');

  test('a first run with --quiet says what it builds, why and for how long, shows progress, then size and location; a second run prints nothing', async () => {
    const cold = await provision(['--quiet'], (line) => {
      if (/still building the Temporal CLI .*go build/.test(line)) release('go');
      if (/still building the Temporal test server .*Maven Central/.test(line)) release('mvn');
    });
    if (cold.code !== 0) throw new Error(`provisioning exited with ${cold.code}:\n${cold.lines.join('\n')}`);

    const cliBin = path.join(cache, 'temporal-cli', CLI_VERSION, 'temporal');
    expect(cold.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^\\[provision-temporal\\] building the Temporal CLI ${CLI_VERSION} from the Go module proxy, because .*` +
            `not in the cache ${escape(path.dirname(cliBin))}.*; expect about \\d+ min`,
        ),
      ),
    );
    expect(cold.lines).toContainEqual(
      expect.stringMatching(
        /^\[provision-temporal\] still building the Temporal CLI v1\.8\.2: \d+ s elapsed, go build/,
      ),
    );
    expect(cold.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^\\[provision-temporal\\] built the Temporal CLI ${CLI_VERSION} in \\d+ s: ` +
            `${escape(mb(sizeOf(cliBin)))} at ${escape(cliBin)}$`,
        ),
      ),
    );

    const serverDir = path.join(cache, 'temporal-test-server', TEST_SERVER_VERSION);
    expect(cold.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^\\[provision-temporal\\] building the Temporal test server ${escape(TEST_SERVER_VERSION)} from Maven Central, ` +
            `because .*not in the cache ${escape(serverDir)}.*; expect about \\d+ min`,
        ),
      ),
    );
    expect(cold.lines).toContainEqual(
      expect.stringMatching(
        /^\[provision-temporal\] still building the Temporal test server 1\.38\.0: \d+ s elapsed, /,
      ),
    );
    expect(cold.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^\\[provision-temporal\\] built the Temporal test server ${escape(TEST_SERVER_VERSION)} in \\d+ s: ` +
            `${escape(mb(sizeOf(serverDir)))} in ${escape(serverDir)}$`,
        ),
      ),
    );

    const warm = await provision(['--quiet']);
    expect(warm).toEqual({ code: 0, stdout: '', lines: [] });
  }, 120_000);

  test('a run that finds another process building says whom it waits for, shows progress, then where the result is', async () => {
    const dir = path.join(cache, 'temporal-cli', CLI_VERSION);
    const cliBin = path.join(dir, 'temporal');
    fs.mkdirSync(path.join(dir, '.lock'), { recursive: true });
    // This test's own process stands for the other provisioning run: it is alive, so its lock is honoured.
    fs.writeFileSync(path.join(dir, '.lock', 'pid'), String(process.pid));

    const run = await provision(['--quiet', '--cli-only'], (line) => {
      if (!/still waiting/.test(line) || fs.existsSync(cliBin)) return;
      fs.writeFileSync(`${cliBin}.partial`, Buffer.alloc(1_500_000), { mode: 0o755 });
      fs.renameSync(`${cliBin}.partial`, cliBin);
      fs.rmSync(path.join(dir, '.lock'), { recursive: true, force: true });
    });

    expect(run.code).toBe(0);
    expect(run.lines).toContainEqual(
      `[provision-temporal] waiting for process ${process.pid}, which is building the Temporal CLI ${CLI_VERSION} in ${dir}`,
    );
    expect(run.lines).toContainEqual(
      expect.stringMatching(
        /^\[provision-temporal\] still waiting for process \d+ \(the Temporal CLI v1\.8\.2\): \d+ s elapsed$/,
      ),
    );
    expect(run.lines).toContainEqual(
      `[provision-temporal] the Temporal CLI ${CLI_VERSION} is ready: 1.5 MB at ${cliBin}`,
    );
  }, 60_000);
});
