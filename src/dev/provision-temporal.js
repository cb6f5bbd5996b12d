'use strict';
// Resolves the Temporal CLI (dev server) and the time-skipping test server without run-time downloads:
// explicit path → PATH → per-user cache → build from the Go module proxy / Maven Central → SDK cached-download.
// Plain CommonJS so it runs before any TypeScript tooling and from jest's globalSetup alike.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');

const CLI_VERSION = 'v1.8.2';
const CLI_FALLBACK_VERSION = 'v1.5.1';
const TEST_SERVER_VERSION = '1.38.0';
const SLF4J_VERSION = '2.0.17';
// Measured on 2 shared cores with empty Go and Maven caches: the CLI 4 min 43 s, the test server 22 s.
const CLI_BUILD_ESTIMATE = 'about 5 min';
const TEST_SERVER_BUILD_ESTIMATE = 'about 1 min';
const PROGRESS_INTERVAL_MS = 15_000;

class ProvisionError extends Error {}

function cacheRoot(env = process.env) {
  if (env.SWITCHYARD_CACHE_DIR) return env.SWITCHYARD_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'switchyard');
}

// `tag` names the provisioner in the line's prefix, for the others that share these helpers (opts.tag).
function say(msg, tag = 'provision-temporal') {
  process.stderr.write(`[${tag}] ${msg}\n`);
}

// Details for `node scripts/provision-temporal`; --quiet keeps only what a person waiting needs (see `report`).
function log(opts, msg) {
  if (!opts.quiet) say(msg, opts.tag);
}

function formatDuration(ms) {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function formatSize(p) {
  return `${(sizeOf(p) / 1e6).toFixed(1)} MB`;
}

function sizeOf(p) {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0);
}

function progressIntervalMs(opts) {
  const env = opts.env || process.env;
  const ms = Number(opts.progressIntervalMs ?? env.SWITCHYARD_PROVISION_PROGRESS_MS ?? PROGRESS_INTERVAL_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : PROGRESS_INTERVAL_MS;
}

// A first build takes minutes and the tools print nothing meanwhile, so even with --quiet a line goes out every
// interval; silence would read as a hang. `line` gets the elapsed time.
function report(opts, line) {
  const started = Date.now();
  const timer = setInterval(() => say(line(formatDuration(Date.now() - started)), opts.tag), progressIntervalMs(opts));
  return {
    elapsed: () => formatDuration(Date.now() - started),
    stop: () => clearInterval(timer),
  };
}

/** Announces a build, then reports its current step at every interval until `fn` settles. */
async function building(opts, what, announcement, fn) {
  say(`building ${what} ${announcement}`, opts.tag);
  let current = 'starting';
  const progress = report(opts, (elapsed) => `still building ${what}: ${elapsed} elapsed, ${current}`);
  const step = (name) => {
    current = name;
    log(opts, name);
  };
  try {
    return await fn(step, progress.elapsed);
  } finally {
    progress.stop();
  }
}

function onPath(bin) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, bin);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// Asynchronous, so the progress timer keeps printing while `go build` or `mvn` runs for minutes.
function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', (err) =>
      reject(new ProvisionError(`${cmd} ${args.join(' ')} could not run: ${err.message}`, { cause: err })),
    );
    child.on('close', (status, signal) => {
      if (status === 0) return resolve(stdout);
      const tail = `${stderr}${stdout}`.trim().split('\n').slice(-15).join('\n');
      reject(new ProvisionError(`${cmd} ${args.join(' ')} exited with ${status ?? signal}:\n${tail}`));
    });
  });
}

// Serialises concurrent provisioning (npm start and npm test at once) with an exclusive lock directory. A wait is
// reported like a build (another process may be minutes into one); `fn` learns whether this process waited.
async function withLock(dir, what, opts, fn) {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 20 * 60 * 1000;
  let waiting;
  let announced;
  try {
    for (;;) {
      try {
        fs.mkdirSync(lock);
        fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
        break;
      } catch (err) {
        if (err.code !== 'EEXIST') throw err;
        const holder = lockHolder(lock);
        if (holder && !processAlive(holder)) {
          fs.rmSync(lock, { recursive: true, force: true });
          continue;
        }
        if (holder && holder !== announced) {
          announced = holder;
          say(`waiting for process ${holder}, which is building ${what} in ${dir}`, opts.tag);
          waiting?.stop();
          waiting = report(opts, (elapsed) => `still waiting for process ${holder} (${what}): ${elapsed} elapsed`);
        }
        if (Date.now() > deadline) throw new ProvisionError(`timed out waiting for the lock ${lock}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    waiting?.stop();
  }
  try {
    return await fn({ waited: announced !== undefined });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// 0 while the holder has made the directory but not yet written its pid, or has just removed it.
function lockHolder(lock) {
  try {
    return Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8') || 0);
  } catch (err) {
    if (err.code === 'ENOENT') return 0;
    throw err;
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

async function goModDownload(mod, cwd, env) {
  const out = await run('go', ['mod', 'download', '-json', mod], { cwd, env });
  const info = JSON.parse(out);
  if (info.Error) throw new ProvisionError(`go mod download ${mod}: ${info.Error}`);
  return info;
}

// Since v1.6 the CLI's go.mod replaces github.com/temporalio/cli/cliext with ./cliext, which `go install` refuses.
// The nested module is fetched at the same commit (as a pseudo-version) and put in place in a writable copy.
async function buildCliFromProxy(dest, step) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cli-'));
  const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0', GOWORK: 'off' };
  try {
    fs.writeFileSync(path.join(work, 'go.mod'), 'module provision\n\ngo 1.22\n');
    step(`downloading github.com/temporalio/cli@${CLI_VERSION} from the Go module proxy`);
    const cli = await goModDownload(`github.com/temporalio/cli@${CLI_VERSION}`, work, env);
    const src = path.join(work, 'src');
    fs.cpSync(cli.Dir, src, { recursive: true });
    makeWritable(src);
    const goMod = fs.readFileSync(path.join(src, 'go.mod'), 'utf8');
    if (/replace\s+github\.com\/temporalio\/cli\/cliext\s+=>\s+\.\/cliext/.test(goMod)) {
      const info = JSON.parse(fs.readFileSync(cli.Info, 'utf8'));
      const hash = info.Origin && info.Origin.Hash;
      if (!hash) throw new ProvisionError(`the module proxy gave no commit for cli@${CLI_VERSION}`);
      const stamp = new Date(info.Time).toISOString().replace(/[-:T]/g, '').slice(0, 14);
      const pseudo = `v0.0.0-${stamp}-${hash.slice(0, 12)}`;
      step(`downloading the nested module github.com/temporalio/cli/cliext@${pseudo}`);
      const cliext = await goModDownload(`github.com/temporalio/cli/cliext@${pseudo}`, work, env);
      fs.rmSync(path.join(src, 'cliext'), { recursive: true, force: true });
      fs.cpSync(cliext.Dir, path.join(src, 'cliext'), { recursive: true });
      makeWritable(path.join(src, 'cliext'));
    }
    step('go build ./cmd/temporal (most of the time goes here)');
    const version = CLI_VERSION.replace(/^v/, '');
    await run(
      'go',
      [
        'build',
        '-trimpath',
        '-ldflags',
        `-s -w -X github.com/temporalio/cli/internal/temporalcli.Version=${version}`,
        '-o',
        dest,
        './cmd/temporal',
      ],
      { cwd: src, env },
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function makeWritable(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    fs.chmodSync(p, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) makeWritable(p);
  }
  fs.chmodSync(dir, 0o755);
}

async function installCliFallback(dest, step) {
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-gobin-'));
  try {
    step(`falling back to go install github.com/temporalio/cli/cmd/temporal@${CLI_FALLBACK_VERSION}`);
    await run('go', ['install', `github.com/temporalio/cli/cmd/temporal@${CLI_FALLBACK_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    });
    fs.copyFileSync(path.join(gobin, 'temporal'), dest);
    fs.chmodSync(dest, 0o755);
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

async function resolveCli(opts) {
  const env = opts.env || process.env;
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH)) {
      throw new ProvisionError(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return { type: 'existing-path', path: env.TEMPORAL_CLI_PATH, from: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { type: 'existing-path', path: fromPath, from: 'PATH' };

  const dir = path.join(cacheRoot(env), 'temporal-cli', CLI_VERSION);
  const bin = path.join(dir, 'temporal');
  if (isExecutable(bin)) return { type: 'existing-path', path: bin, from: 'cache' };

  const problems = [];
  if (onPath('go')) {
    const what = `the Temporal CLI ${CLI_VERSION}`;
    const built = await withLock(dir, what, opts, async ({ waited }) => {
      if (isExecutable(bin)) {
        if (waited) say(`${what} is ready: ${formatSize(bin)} at ${bin}`);
        return true;
      }
      const why =
        `from the Go module proxy, because no \`temporal\` is on PATH or in TEMPORAL_CLI_PATH, and it is not in ` +
        `the cache ${dir} yet; expect ${CLI_BUILD_ESTIMATE}, the first time only`;
      return building(opts, what, why, async (step, elapsed) => {
        const tmp = `${bin}.partial-${process.pid}`;
        try {
          await buildCliFromProxy(tmp, step);
        } catch (err) {
          problems.push(`building ${CLI_VERSION}: ${err.message}`);
          try {
            await installCliFallback(tmp, step);
          } catch (fallbackErr) {
            problems.push(`go install ${CLI_FALLBACK_VERSION}: ${fallbackErr.message}`);
            fs.rmSync(tmp, { force: true });
            return false;
          }
        }
        fs.renameSync(tmp, bin);
        say(`built ${what} in ${elapsed()}: ${formatSize(bin)} at ${bin}`);
        return true;
      });
    });
    if (built) return { type: 'existing-path', path: bin, from: 'built' };
  } else {
    problems.push('`go` is not on PATH');
  }
  if (opts.allowDownload) return { type: 'cached-download', from: 'sdk-download' };
  throw new ProvisionError(
    `cannot provide the Temporal CLI (dev server). Set TEMPORAL_CLI_PATH to a temporal binary, put one on PATH, ` +
      `or install Go so it can be built from the module proxy.\n  - ${problems.join('\n  - ')}`,
  );
}

function testServerWrapper(dir) {
  return `#!/bin/sh
# Starts Temporal's time-skipping test server (Java) fast enough for the SDK's 5 s port wait.
dir="${dir}"
cds=""
[ -f "$dir/app.jsa" ] && cds="-XX:SharedArchiveFile=$dir/app.jsa -Xshare:auto"
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k $cds -cp "$dir/lib/*" io.temporal.testserver.TestServer "$@"
`;
}

async function buildTestServerFromMaven(dir, step) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-ts-'));
  try {
    fs.writeFileSync(
      path.join(work, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>switchyard</groupId><artifactId>temporal-test-server-provision</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>${SLF4J_VERSION}</version></dependency>
  </dependencies>
</project>
`,
    );
    step(`fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} and its dependencies from Maven Central`);
    const staging = `${dir}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    await run(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:copy-dependencies',
        `-DoutputDirectory=${path.join(staging, 'lib')}`,
        '-DincludeScope=runtime',
      ],
      { cwd: work },
    );
    fs.writeFileSync(path.join(staging, 'temporal-test-server'), testServerWrapper(dir), { mode: 0o755 });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// A class-data-sharing archive of the classes the server loads at start cuts JVM start-up roughly in half.
async function createCdsArchive(dir, opts, step) {
  step('creating a class-data-sharing archive (a faster JVM start)');
  const port = await freePort();
  const child = spawn(
    'java',
    [
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-XX:ArchiveClassesAtExit=${path.join(dir, 'app.jsa')}`,
      '-cp',
      `${path.join(dir, 'lib')}/*`,
      'io.temporal.testserver.TestServer',
      String(port),
    ],
    { stdio: 'ignore' },
  );
  // A JVM that cannot start exits (or never spawns): stop waiting for its port then.
  let gone = false;
  const exited = new Promise((resolve) => {
    child.once('exit', resolve);
    child.once('error', resolve);
  }).then(() => (gone = true));
  const deadline = Date.now() + 30_000;
  while (!gone && Date.now() < deadline && !(await canConnect(port))) await new Promise((r) => setTimeout(r, 100));
  if (!gone) child.kill('SIGTERM');
  await exited;
  log(opts, fs.existsSync(path.join(dir, 'app.jsa')) ? 'created CDS archive' : 'no CDS archive (JVM start is slower)');
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function resolveTestServer(opts) {
  const env = opts.env || process.env;
  if (env.TEMPORAL_TEST_SERVER_PATH) {
    if (!isExecutable(env.TEMPORAL_TEST_SERVER_PATH)) {
      throw new ProvisionError(`TEMPORAL_TEST_SERVER_PATH=${env.TEMPORAL_TEST_SERVER_PATH} is not an executable file`);
    }
    return { type: 'existing-path', path: env.TEMPORAL_TEST_SERVER_PATH, from: 'TEMPORAL_TEST_SERVER_PATH' };
  }
  const fromPath = onPath('temporal-test-server');
  if (fromPath) return { type: 'existing-path', path: fromPath, from: 'PATH' };

  const dir = path.join(cacheRoot(env), 'temporal-test-server', TEST_SERVER_VERSION);
  const bin = path.join(dir, 'temporal-test-server');
  if (isExecutable(bin)) return { type: 'existing-path', path: bin, from: 'cache' };

  const problems = [];
  if (!onPath('java')) problems.push('`java` is not on PATH');
  if (!onPath('mvn')) problems.push('`mvn` is not on PATH');
  if (problems.length === 0) {
    const parent = path.dirname(dir);
    const what = `the Temporal test server ${TEST_SERVER_VERSION}`;
    const built = await withLock(parent, what, opts, async ({ waited }) => {
      if (isExecutable(bin)) {
        if (waited) say(`${what} is ready: ${formatSize(dir)} in ${dir}`);
        return true;
      }
      const why =
        `from Maven Central, because no \`temporal-test-server\` is on PATH or in TEMPORAL_TEST_SERVER_PATH, and ` +
        `it is not in the cache ${dir} yet; expect ${TEST_SERVER_BUILD_ESTIMATE}, the first time only`;
      return building(opts, what, why, async (step, elapsed) => {
        try {
          await buildTestServerFromMaven(dir, step);
          await createCdsArchive(dir, opts, step);
        } catch (err) {
          problems.push(err.message);
          return false;
        }
        say(`built ${what} in ${elapsed()}: ${formatSize(dir)} in ${dir}`);
        return true;
      });
    });
    if (built) return { type: 'existing-path', path: bin, from: 'built' };
  }
  if (opts.allowDownload) return { type: 'cached-download', from: 'sdk-download' };
  throw new ProvisionError(
    `cannot provide the Temporal time-skipping test server. Set TEMPORAL_TEST_SERVER_PATH, ` +
      `or install Java 17+ and Maven so it can be fetched from Maven Central.\n  - ${problems.join('\n  - ')}`,
  );
}

/**
 * Resolves both binaries, building and caching them on first use.
 * `allowDownload` lets the SDK download them itself when nothing else works (a machine with internet).
 */
async function provisionTemporal(opts = {}) {
  const allowDownload = opts.allowDownload ?? process.env.TEMPORAL_ALLOW_DOWNLOAD === '1';
  const o = { ...opts, allowDownload };
  const cli = await resolveCli(o);
  const testServer = opts.cliOnly ? undefined : await resolveTestServer(o);
  return { cli, testServer };
}

async function main(argv = process.argv.slice(2)) {
  const quiet = argv.includes('--quiet');
  const cliOnly = argv.includes('--cli-only');
  try {
    const { cli, testServer } = await provisionTemporal({ quiet, cliOnly });
    const describe = (name, spec) =>
      spec && `${name}: ${spec.type === 'existing-path' ? spec.path : 'SDK download'} (${spec.from})`;
    const lines = [describe('temporal CLI', cli), describe('test server', testServer)].filter(Boolean);
    log({ quiet }, lines.join('; '));
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ cli, testServer })}\n`);
  } catch (err) {
    process.stderr.write(`[provision-temporal] ERROR: ${err.message}\n`);
    process.exitCode = 1;
  }
}

module.exports = { provisionTemporal, main, ProvisionError, CLI_VERSION, TEST_SERVER_VERSION };
// The building blocks src/dev/provision-cluster.js, provision-schemathesis.js and provision-tools.js share: cache layout, locking, progress, child processes.
module.exports.internals = {
  cacheRoot,
  say,
  log,
  run,
  withLock,
  building,
  formatSize,
  isExecutable,
  onPath,
  makeWritable,
};
