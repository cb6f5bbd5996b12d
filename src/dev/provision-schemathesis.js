'use strict';
// Provides schemathesis, the fuzzer `npm test` runs against the /api/v1 OpenAPI document: a Python virtual
// environment per pinned version under the per-user cache, created with `python3 -m venv` and filled from PyPI once.
// Tests only read the cache (`schemathesisPath`); nothing is downloaded while they run.
// Plain CommonJS, like provision-temporal.js, whose cache, lock and progress reporting it shares.

const fs = require('node:fs');
const path = require('node:path');
const { ProvisionError, internals } = require('./provision-temporal.js');

const { cacheRoot, say, run, withLock, building, formatSize, isExecutable, onPath } = internals;

const SCHEMATHESIS_VERSION = '4.32.5';
// Measured on 2 shared cores with an empty pip cache: about 30 s.
const BUILD_ESTIMATE = 'under a minute';

function venvDir(env = process.env, version = SCHEMATHESIS_VERSION) {
  return path.join(cacheRoot(env), `schemathesis-${version}`);
}

/** The `st` executable of the cached venv, or undefined when it is not provisioned. */
function schemathesisPath(env = process.env, version = SCHEMATHESIS_VERSION) {
  const bin = path.join(venvDir(env, version), 'bin', 'st');
  // The marker is written last: a venv whose install was interrupted is not taken for a ready one.
  return isExecutable(bin) && fs.existsSync(path.join(venvDir(env, version), '.complete')) ? bin : undefined;
}

async function provisionSchemathesis(opts = {}) {
  const env = opts.env || process.env;
  const version = opts.version || SCHEMATHESIS_VERSION;
  const ready = schemathesisPath(env, version);
  if (ready) return { path: ready, version, from: 'cache' };
  const python = onPath('python3');
  if (!python) {
    throw new ProvisionError(
      'cannot provide schemathesis: `python3` is not on PATH. Install Python 3.9+ with its venv module ' +
        '(Debian: apt-get install python3 python3-venv)',
    );
  }
  const dir = venvDir(env, version);
  const what = `schemathesis ${version}`;
  await withLock(path.dirname(dir), what, opts, async ({ waited }) => {
    if (schemathesisPath(env, version)) {
      if (waited) say(`${what} is ready in ${dir}`);
      return;
    }
    const why = `into ${dir} from PyPI, because it is not cached yet; expect ${BUILD_ESTIMATE}, the first time only`;
    await building(opts, what, why, async (step, elapsed) => {
      // A venv's scripts name its interpreter by absolute path, so it is made where it stays; the marker that
      // schemathesisPath looks for is written last.
      fs.rmSync(dir, { recursive: true, force: true });
      try {
        step(`python3 -m venv ${dir}`);
        await run(python, ['-m', 'venv', dir]).catch((err) => {
          throw new ProvisionError(
            `python3 -m venv failed; on Debian install python3-venv (apt-get install python3-venv): ${err.message}`,
            { cause: err },
          );
        });
        step(`pip install schemathesis==${version} from PyPI`);
        const pip = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${version}`];
        await run(path.join(dir, 'bin', 'python'), pip);
        fs.writeFileSync(path.join(dir, '.complete'), `${version}\n`);
      } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      say(`installed ${what} in ${elapsed()}: ${formatSize(dir)} in ${dir}`);
    });
  });
  return { path: schemathesisPath(env, version), version, from: 'installed' };
}

async function main(argv = process.argv.slice(2)) {
  const quiet = argv.includes('--quiet');
  try {
    const st = await provisionSchemathesis({ quiet });
    if (!quiet) say(`schemathesis ${st.version}: ${st.path} (${st.from})`);
  } catch (err) {
    process.stderr.write(`[provision-schemathesis] ERROR: ${err.message}\n`);
    process.exitCode = 1;
  }
}

module.exports = { provisionSchemathesis, schemathesisPath, main, SCHEMATHESIS_VERSION };
