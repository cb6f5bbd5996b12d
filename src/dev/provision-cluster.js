'use strict';
// Provides what `npm run test:cluster` runs besides Switchyard: the Temporal server itself (not the dev server) and
// its SQL tool, built from the Go module proxy at the version docker-compose.yml pins and cached per version with
// the schema files of that same module; and PostgreSQL's binaries, from Debian's package when they are missing.
// Plain CommonJS, like provision-temporal.js, whose cache, lock and progress reporting it shares.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProvisionError, internals } = require('./provision-temporal.js');

const { cacheRoot, say, run, withLock, building, formatSize, isExecutable, onPath, makeWritable } = internals;

const ROOT = path.resolve(__dirname, '..', '..');
// Measured on 2 shared cores: 1 min 42 s with the CLI's build already in the Go caches, 10 min 8 s from empty caches
// with a benchmark running beside it (7 min 54 s of CPU).
const SERVER_BUILD_ESTIMATE = 'about 2 min after the CLI build, up to 10 min from empty Go caches';

/** The server version docker-compose.yml runs: one pin for compose and the test cluster. */
function pinnedServerVersion(composeFile = path.join(ROOT, 'docker-compose.yml')) {
  const text = fs.readFileSync(composeFile, 'utf8');
  const m = /image:\s*temporalio\/server:\$\{TEMPORAL_VERSION:-([0-9][^}\s]*)\}/.exec(text);
  if (!m) throw new ProvisionError(`${composeFile} pins no temporalio/server:\${TEMPORAL_VERSION:-x.y.z} image`);
  return `v${m[1]}`;
}

function serverLayout(dir) {
  return {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

function complete(layout) {
  return (
    isExecutable(layout.server) &&
    isExecutable(layout.sqlTool) &&
    fs.existsSync(path.join(layout.schemaDir, 'temporal', 'versioned'))
  );
}

async function buildServer(dir, version, step) {
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-server-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-server-mod-'));
  const env = { ...process.env, GOBIN: gobin, CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '-mod=mod' };
  try {
    step(`go install go.temporal.io/server/cmd/server and cmd/tools/sql@${version} (most of the time goes here)`);
    await run(
      'go',
      [
        'install',
        '-trimpath',
        '-ldflags',
        '-s -w',
        `go.temporal.io/server/cmd/server@${version}`,
        `go.temporal.io/server/cmd/tools/sql@${version}`,
      ],
      { env },
    );
    step('copying the PostgreSQL schema files of the same module');
    fs.writeFileSync(path.join(work, 'go.mod'), 'module provision\n\ngo 1.22\n');
    const out = await run('go', ['mod', 'download', '-json', `go.temporal.io/server@${version}`], { cwd: work, env });
    const info = JSON.parse(out);
    if (info.Error) throw new ProvisionError(`go mod download go.temporal.io/server@${version}: ${info.Error}`);
    const layout = serverLayout(dir);
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(path.join(dir, 'schema'), { recursive: true, force: true });
    fs.cpSync(path.join(info.Dir, 'schema', 'postgresql', 'v12'), layout.schemaDir, { recursive: true });
    makeWritable(path.join(dir, 'schema'));
    // Binaries last and by rename: a half-finished build never looks complete to the next caller.
    fs.copyFileSync(path.join(gobin, 'sql'), `${layout.sqlTool}.partial`);
    fs.copyFileSync(path.join(gobin, 'server'), `${layout.server}.partial`);
    for (const bin of [layout.sqlTool, layout.server]) {
      fs.chmodSync(`${bin}.partial`, 0o755);
      fs.renameSync(`${bin}.partial`, bin);
    }
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The Temporal server, temporal-sql-tool and the PostgreSQL schema directory: TEMPORAL_SERVER_DIR when set (a
 * directory laid out like the cache), else the per-version cache, built on first use.
 */
async function provisionTemporalServer(opts = {}) {
  const env = opts.env || process.env;
  const version = opts.version || pinnedServerVersion();
  if (env.TEMPORAL_SERVER_DIR) {
    const layout = serverLayout(env.TEMPORAL_SERVER_DIR);
    if (!complete(layout)) {
      throw new ProvisionError(
        `TEMPORAL_SERVER_DIR=${env.TEMPORAL_SERVER_DIR} must hold temporal-server, temporal-sql-tool and ` +
          `schema/postgresql/v12 (the layout of ${path.join(cacheRoot(env), 'temporal-server', version)})`,
      );
    }
    return { version, from: 'TEMPORAL_SERVER_DIR', ...layout };
  }
  const dir = path.join(cacheRoot(env), 'temporal-server', version);
  const layout = serverLayout(dir);
  if (complete(layout)) return { version, from: 'cache', ...layout };
  if (!onPath('go')) {
    throw new ProvisionError(
      `the Temporal server ${version} is not in the cache ${dir} and \`go\` is not on PATH to build it from the ` +
        `module proxy; install Go, or set TEMPORAL_SERVER_DIR to a directory with temporal-server, ` +
        `temporal-sql-tool and schema/postgresql/v12`,
    );
  }
  const what = `the Temporal server ${version}`;
  await withLock(dir, what, opts, async () => {
    if (complete(layout)) return;
    const why = `from the Go module proxy (the version docker-compose.yml pins); expect ${SERVER_BUILD_ESTIMATE}, the first time only`;
    await building(opts, what, why, async (step, elapsed) => {
      try {
        await buildServer(dir, version, step);
      } catch (err) {
        throw new ProvisionError(
          `cannot build ${what} from the Go module proxy. This is the pinned version; fix the build or change ` +
            `the pin in docker-compose.yml, never fall back to another server silently.\n${err.message}`,
        );
      }
      say(`built ${what} in ${elapsed()}: ${formatSize(layout.server)} at ${layout.server}`);
    });
  });
  return { version, from: 'built', ...layout };
}

function postgresBinDir() {
  const wanted = ['initdb', 'pg_ctl', 'postgres'];
  const has = (dir) => wanted.every((b) => isExecutable(path.join(dir, b)));
  if (process.env.PG_BIN_DIR) {
    if (!has(process.env.PG_BIN_DIR))
      throw new ProvisionError(`PG_BIN_DIR=${process.env.PG_BIN_DIR} lacks one of ${wanted.join(', ')}`);
    return process.env.PG_BIN_DIR;
  }
  // Debian keeps the server binaries out of PATH, one directory per major version; the newest wins.
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => has(path.join(base, v, 'bin')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length) return path.join(base, versions[0], 'bin');
  const initdb = onPath('initdb');
  return initdb && has(path.dirname(fs.realpathSync(initdb))) ? path.dirname(fs.realpathSync(initdb)) : undefined;
}

/** PostgreSQL's server binaries; installs Debian's `postgresql` package when they are missing and apt can. */
async function provisionPostgres(opts = {}) {
  let dir = postgresBinDir();
  if (dir) return { binDir: dir, from: 'installed' };
  const canApt = onPath('apt-get') && typeof process.getuid === 'function' && process.getuid() === 0;
  if (!canApt) {
    throw new ProvisionError(
      'PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on PATH). Install ' +
        "Debian's `postgresql` package (`sudo apt-get install postgresql`) or set PG_BIN_DIR.",
    );
  }
  await building(opts, 'PostgreSQL', "from Debian's postgresql package (apt-get)", async (step, elapsed) => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    step('apt-get update');
    await run('apt-get', ['update', '-qq'], { env });
    step('apt-get install postgresql');
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { env });
    say(`installed PostgreSQL in ${elapsed()}`);
  });
  dir = postgresBinDir();
  if (!dir) throw new ProvisionError('apt-get installed postgresql, yet no initdb/pg_ctl was found');
  return { binDir: dir, from: 'apt' };
}

async function main(argv = process.argv.slice(2)) {
  const quiet = argv.includes('--quiet');
  try {
    const pg = await provisionPostgres({ quiet });
    const server = await provisionTemporalServer({ quiet });
    if (!quiet) say(`PostgreSQL: ${pg.binDir} (${pg.from}); Temporal server ${server.version}: ${server.server}`);
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ postgres: pg, server })}\n`);
  } catch (err) {
    process.stderr.write(`[provision-cluster] ERROR: ${err.message}\n`);
    process.exitCode = 1;
  }
}

module.exports = { provisionTemporalServer, provisionPostgres, pinnedServerVersion, main };
