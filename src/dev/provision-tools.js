'use strict';
// Provides the vendor-published servers that development and the tests check connectors against: Mailpit (an SMTP
// server with an HTTP API and web UI) and stripe-mock (Stripe's API, validated against its embedded OpenAPI spec).
// Resolution order per tool: its env variable → PATH → the per-version cache → a build from the Go module proxy
// into that cache. Tests only read the result (`mailpitPath`, `stripeMockPath`); nothing downloads while they run.
// Plain CommonJS, like provision-temporal.js, whose cache, lock and progress reporting it shares.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ProvisionError, internals } = require('./provision-temporal.js');

const { cacheRoot, say, log, run, withLock, building, formatSize, isExecutable, onPath, makeWritable } = internals;

const TAG = 'provision-tools';
const MAILPIT_VERSION = 'v1.33.1';
const STRIPE_MOCK_VERSION = 'v0.203.0';

// The Go module and build caches of these builds, kept under the cache so a version bump rebuilds only what changed
// and a user's own Go setup (GOFLAGS, GOPATH) plays no part.
function goEnv(env) {
  const go = path.join(cacheRoot(env), 'go');
  return {
    ...env,
    GOPATH: go,
    GOMODCACHE: path.join(go, 'pkg', 'mod'),
    GOCACHE: path.join(go, 'cache'),
    // -modcacherw: the module cache can be deleted with the rest of the cache dir without a chmod first.
    GOFLAGS: '-mod=mod -modcacherw',
    GOWORK: 'off',
    CGO_ENABLED: '0',
  };
}

async function goModDownload(mod, env) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-tools-mod-'));
  try {
    fs.writeFileSync(path.join(work, 'go.mod'), 'module provision\n\ngo 1.22\n');
    const info = JSON.parse(await run('go', ['mod', 'download', '-json', mod], { cwd: work, env }));
    if (info.Error) throw new ProvisionError(`go mod download ${mod}: ${info.Error}`);
    return info;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// The module zip holds the web UI's sources (server/ui-src) and its package-lock.json, but not the bundle the binary
// embeds (server/ui/dist, made by esbuild for Mailpit's releases); without it `/` serves a page whose app.js and
// app.css are 404s. So the bundle is made here first, from the locked packages of the npm registry, minus two:
// rapidoc, which only the API reference page (/api/v1/) loads and whose locked 12.x the registry this project reaches
// lacks, and sass-embedded, an optional peer of the Sass plugin (sass does its work) whose locked version it lacks
// too. That page is therefore left without its script; the app at `/` is whole.
const UI_BUILD_TOOLS = ['esbuild', 'esbuild-plugin-vue-next', 'esbuild-sass-plugin', '@vue/compiler-sfc'];
const UI_BUNDLE = `import * as esbuild from 'esbuild';
import vue from 'esbuild-plugin-vue-next';
import { sassPlugin } from 'esbuild-sass-plugin';
await esbuild.build({
  entryPoints: ['server/ui-src/app.js'],
  outdir: 'server/ui/dist/',
  bundle: true,
  minify: true,
  define: {
    __VUE_OPTIONS_API__: 'true',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  plugins: [vue(), sassPlugin({ silenceDeprecations: ['import'], quietDeps: true })],
  loader: { '.svg': 'file', '.woff': 'file', '.woff2': 'file' },
  logLevel: 'error',
});
`;

async function bundleMailpitUi(src, env, step) {
  if (!onPath('npm')) throw new ProvisionError('`npm` is not on PATH, and it fetches the tools that bundle the web UI');
  const pkgFile = path.join(src, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  delete pkg.dependencies.rapidoc;
  pkg.devDependencies = Object.fromEntries(
    Object.entries(pkg.devDependencies).filter(([name]) => UI_BUILD_TOOLS.includes(name)),
  );
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  step("npm install of the web UI's packages at the versions Mailpit's package-lock.json pins (npm registry)");
  const npmArgs = ['install', '--omit=peer', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund'];
  await run('npm', [...npmArgs, '--loglevel=error'], { cwd: src, env: { ...env, NODE_ENV: 'development' } });
  step('bundling the web UI with esbuild (server/ui-src/app.js → server/ui/dist)');
  fs.writeFileSync(path.join(src, 'switchyard-bundle-ui.mjs'), UI_BUNDLE);
  await run('node', ['switchyard-bundle-ui.mjs'], { cwd: src, env });
  for (const asset of ['app.js', 'app.css']) {
    if (!fs.existsSync(path.join(src, 'server', 'ui', 'dist', asset))) {
      throw new ProvisionError(`bundling Mailpit's web UI made no server/ui/dist/${asset}`);
    }
  }
}

async function buildMailpit(dest, env, step) {
  const tool = TOOLS.mailpit;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-mailpit-'));
  try {
    step(`downloading ${tool.module}@${tool.version} from the Go module proxy`);
    const mod = await goModDownload(`${tool.module}@${tool.version}`, env);
    const src = path.join(work, 'src');
    fs.cpSync(mod.Dir, src, { recursive: true });
    makeWritable(src);
    await bundleMailpitUi(src, env, step);
    step('go build (most of the time goes here)');
    const ldflags = `-s -w -X ${tool.module}/config.Version=${tool.version}`;
    await run('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', dest, '.'], { cwd: src, env });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function buildStripeMock(dest, env, step) {
  const tool = TOOLS['stripe-mock'];
  const gobin = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-stripe-mock-'));
  try {
    step(`go install ${tool.module}@${tool.version} (downloads from the Go module proxy, then builds)`);
    const ldflags = `-s -w -X main.version=${tool.version}`;
    await run('go', ['install', '-trimpath', '-ldflags', ldflags, `${tool.module}@${tool.version}`], {
      env: { ...env, GOBIN: gobin },
    });
    fs.copyFileSync(path.join(gobin, tool.bin), dest);
    fs.chmodSync(dest, 0o755);
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
}

// Measured on 2 shared cores with empty Go caches: Mailpit 1 min 11 s to 2 min 32 s (the go build is nearly
// all of it), stripe-mock 36 s alone, 3 to 7 s after Mailpit has filled the Go build cache.
const TOOLS = {
  mailpit: {
    name: 'Mailpit',
    module: 'github.com/axllent/mailpit',
    version: MAILPIT_VERSION,
    bin: 'mailpit',
    envVar: 'MAILPIT_BIN',
    estimate: 'about 2 min, up to 3',
    sources: 'the Go module proxy, its web UI from the npm registry',
    build: buildMailpit,
  },
  'stripe-mock': {
    name: 'stripe-mock',
    module: 'github.com/stripe/stripe-mock',
    version: STRIPE_MOCK_VERSION,
    bin: 'stripe-mock',
    envVar: 'STRIPE_MOCK_BIN',
    estimate: 'under a minute',
    sources: 'the Go module proxy',
    build: buildStripeMock,
  },
};

function toolOf(key) {
  const tool = TOOLS[key];
  if (!tool) throw new ProvisionError(`no tool ${key}; the tools are ${Object.keys(TOOLS).join(', ')}`);
  return tool;
}

function cachedBin(tool, env) {
  return path.join(cacheRoot(env), tool.bin, tool.version, tool.bin);
}

/**
 * Where the tool is without building it: { path, from }, or undefined when it is nowhere yet. An env variable that
 * names no executable is an error, not a fall-through.
 */
function locate(key, env = process.env) {
  const tool = toolOf(key);
  const explicit = env[tool.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) throw new ProvisionError(`${tool.envVar}=${explicit} is not an executable file`);
    return { path: explicit, from: tool.envVar };
  }
  const fromPath = onPath(tool.bin);
  if (fromPath) return { path: fromPath, from: 'PATH' };
  const bin = cachedBin(tool, env);
  if (isExecutable(bin)) return { path: bin, from: 'cache' };
  return undefined;
}

/** Resolves one tool, building and caching it on first use: { path, version, from }. */
async function provisionTool(key, opts = {}) {
  const env = opts.env || process.env;
  const tool = toolOf(key);
  const o = { ...opts, tag: TAG };
  const found = locate(key, env);
  if (found) return { ...found, version: tool.version };
  const what = `${tool.name} ${tool.version}`;
  const bin = cachedBin(tool, env);
  const dir = path.dirname(bin);
  if (!onPath('go')) {
    throw new ProvisionError(
      `cannot provide ${what}: it is not in the cache ${dir}, and \`go\` is not on PATH to build it from the Go ` +
        `module proxy. Install Go 1.26+, or set ${tool.envVar} to a ${tool.bin} binary.`,
    );
  }
  await withLock(dir, what, o, async ({ waited }) => {
    if (isExecutable(bin)) {
      if (waited) say(`${what} is ready: ${formatSize(bin)} at ${bin}`, TAG);
      return;
    }
    const why =
      `from the Go module proxy, because no \`${tool.bin}\` is on PATH or in ${tool.envVar}, and it is not in the ` +
      `cache ${dir} yet; expect ${tool.estimate}, the first time only`;
    await building(o, what, why, async (step, elapsed) => {
      const tmp = `${bin}.partial-${process.pid}`;
      try {
        await tool.build(tmp, goEnv(env), step);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw new ProvisionError(
          `cannot build ${what} from ${tool.sources}. The step that failed is below: check that it works here ` +
            `(\`go env GOPROXY\` names the proxy), or set ${tool.envVar} to a ${tool.bin} binary.\n${err.message}`,
          { cause: err },
        );
      }
      // By rename, last: a half-finished build never looks like a cached one.
      fs.renameSync(tmp, bin);
      say(`built ${what} in ${elapsed()}: ${formatSize(bin)} at ${bin}`, TAG);
    });
  });
  return { path: bin, from: 'built', version: tool.version };
}

/** The Mailpit binary, built on first use. */
async function resolveMailpit(opts) {
  return (await provisionTool('mailpit', opts)).path;
}

/** The stripe-mock binary, built on first use. */
async function resolveStripeMock(opts) {
  return (await provisionTool('stripe-mock', opts)).path;
}

function notProvisioned(key) {
  const tool = toolOf(key);
  return new ProvisionError(
    `${tool.name} ${tool.version} is not provisioned: run \`node scripts/provision-tools\` (it builds it into ` +
      `${path.dirname(cachedBin(tool, process.env))}), or set ${tool.envVar} to a ${tool.bin} binary`,
  );
}

/** The Mailpit binary as provisioned; throws, naming the command to run, when it is not. Never builds. */
function mailpitPath(env = process.env) {
  const found = locate('mailpit', env);
  if (!found) throw notProvisioned('mailpit');
  return found.path;
}

/** The stripe-mock binary as provisioned; throws, naming the command to run, when it is not. Never builds. */
function stripeMockPath(env = process.env) {
  const found = locate('stripe-mock', env);
  if (!found) throw notProvisioned('stripe-mock');
  return found.path;
}

/** A Debian package's binary: `envVar` when set (it must be executable), else `binary` on PATH, else undefined. */
function debianBinary(binary, envVar, env = process.env) {
  if (env[envVar]) return isExecutable(env[envVar]) ? env[envVar] : undefined;
  return onPath(binary);
}

/**
 * A tool from Debian's packages: found as debianBinary does, else installed with apt-get when this runs as root and
 * apt can, else a ProvisionError saying how to get it.
 */
async function provisionDebian(spec, opts = {}) {
  const { title, pkg, binary, envVar, usedBy } = spec;
  const found = debianBinary(binary, envVar);
  if (found) return { path: found, from: 'installed' };
  if (process.env[envVar]) throw new ProvisionError(`${envVar}=${process.env[envVar]} is not an executable file`);
  const canApt = onPath('apt-get') && typeof process.getuid === 'function' && process.getuid() === 0;
  if (!canApt) {
    throw new ProvisionError(
      `${title} is not installed (no \`${binary}\` on PATH), which ${usedBy}. Install Debian's \`${pkg}\` ` +
        `package (\`sudo apt-get install ${pkg}\`) or set ${envVar}.`,
    );
  }
  await building(opts, title, `from Debian's ${pkg} package (apt-get)`, async (step, elapsed) => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    step('apt-get update');
    await run('apt-get', ['update', '-qq'], { env });
    step(`apt-get install ${pkg}`);
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { env });
    say(`installed ${title} in ${elapsed()}`);
  });
  const installed = debianBinary(binary, envVar);
  if (!installed) throw new ProvisionError(`apt-get installed ${pkg}, yet no \`${binary}\` is on PATH`);
  return { path: installed, from: 'apt' };
}

const CHROMIUM = {
  title: 'Chromium',
  pkg: 'chromium',
  binary: 'chromium',
  envVar: 'CHROMIUM_PATH',
  usedBy: 'the Web UI tests drive',
};
const WRK = {
  title: 'wrk',
  pkg: 'wrk',
  binary: 'wrk',
  envVar: 'WRK_PATH',
  usedBy: "the benchmarks' P3 cross-check runs",
};

/** The Chromium the Web UI tests drive (CHROMIUM_PATH, else `chromium` on PATH), or undefined. Never installs. */
function chromiumPath(env = process.env) {
  return debianBinary(CHROMIUM.binary, CHROMIUM.envVar, env);
}

/** Chromium for the Web UI tests; installs Debian's `chromium` package when it is missing and apt can. */
function provisionChromium(opts = {}) {
  return provisionDebian(CHROMIUM, opts);
}

/** wrk for the benchmarks (`npm run bench`, P3); installs Debian's `wrk` package when it is missing and apt can. */
function provisionWrk(opts = {}) {
  return provisionDebian(WRK, opts);
}

async function main(argv = process.argv.slice(2)) {
  const quiet = argv.includes('--quiet');
  try {
    // One after the other: each build uses both cores.
    for (const key of Object.keys(TOOLS)) {
      const spec = await provisionTool(key, { quiet });
      log({ quiet, tag: TAG }, `${TOOLS[key].name} ${spec.version}: ${spec.path} (${spec.from})`);
    }
    const chromium = await provisionChromium({ quiet });
    log({ quiet, tag: TAG }, `Chromium: ${chromium.path} (${chromium.from})`);
  } catch (err) {
    process.stderr.write(`[${TAG}] ERROR: ${err.message}\n`);
    process.exitCode = 1;
  }
}

module.exports = {
  provisionTool,
  provisionChromium,
  provisionWrk,
  chromiumPath,
  resolveMailpit,
  resolveStripeMock,
  mailpitPath,
  stripeMockPath,
  main,
  ProvisionError,
  MAILPIT_VERSION,
  STRIPE_MOCK_VERSION,
};
