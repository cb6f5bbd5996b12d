// `npm run catalog`: writes every file that derives from the declarations (src/catalog/render.ts, catalogFiles).
//   --json   prints the catalog as JSON on stdout and writes nothing
//   --check  writes nothing; exits 1 naming each file that differs from a fresh generation
import fs from 'node:fs';
import path from 'node:path';
import { buildCatalog } from '../src/catalog/catalog';
import { catalogFiles } from '../src/catalog/render';

// The repository (or image) root: the nearest folder above with a package.json, from scripts/ or dist/scripts/.
function root(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

function main(args: string[]): number {
  const unknown = args.filter((a) => a !== '--json' && a !== '--check');
  if (unknown.length) {
    process.stderr.write(`catalog: unknown argument ${unknown.join(' ')} (use --json or --check)\n`);
    return 2;
  }
  const catalog = buildCatalog();
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(catalog, null, 2)}\n`);
    return 0;
  }
  const dir = root();
  const files = catalogFiles(catalog, (file) => fs.readFileSync(path.join(dir, file), 'utf8'));
  if (args.includes('--check')) {
    const stale = files.filter((f) => {
      const file = path.join(dir, f.path);
      return !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== f.content;
    });
    for (const f of stale) {
      process.stderr.write(`catalog: ${f.path} differs from the declarations: run \`npm run catalog\` and commit it\n`);
    }
    return stale.length ? 1 : 0;
  }
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, f.path), f.content);
    process.stdout.write(`catalog: wrote ${f.path}\n`);
  }
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`catalog: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
