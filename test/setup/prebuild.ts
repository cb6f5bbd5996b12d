import fs from 'node:fs';
import path from 'node:path';
import { transformFile } from '@swc/core';

// The child processes tests start (a worker role, the API as production runs it, the operator CLI) run src/ as
// JavaScript compiled once for the whole run, with the transform jest itself runs the tests through. Through tsx each
// start cost about 2.3 s of CPU against 0.9 s built (docs/performance.md, P12). The production build itself is
// tested by test/deploy/build.test.ts.

const ROOT = path.resolve(__dirname, '../..');

/**
 * Compiles src/ into `outDir` (which must be inside the repository, so the compiled files resolve node_modules as
 * src/ does): TypeScript to CommonJS, every other file copied as it is (JSON, the provisioning scripts).
 */
export async function prebuildSources(outDir: string): Promise<void> {
  const files = fs
    .readdirSync(path.join(ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
  await Promise.all(
    files.map(async (file) => {
      const relative = path.relative(ROOT, file);
      const target = path.join(outDir, relative);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (!file.endsWith('.ts')) {
        fs.copyFileSync(file, target);
        return;
      }
      const { code, map } = await transformFile(file, {
        swcrc: false,
        sourceMaps: true,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      const js = target.replace(/\.ts$/, '.js');
      fs.writeFileSync(js, `${code}\n//# sourceMappingURL=${path.basename(js)}.map\n`);
      if (map) fs.writeFileSync(`${js}.map`, map);
    }),
  );
}

/**
 * The arguments that make Node run `src/<entry>.ts` in a child process: its compiled form from globalSetup's
 * prebuild, with source maps for the stack traces.
 */
export function entryArgs(entry: string): string[] {
  const built = process.env.SWITCHYARD_TEST_BUILD;
  if (!built) throw new Error('no prebuilt sources: the tests run under jest, whose globalSetup builds them');
  return ['--enable-source-maps', path.join(built, entry.replace(/\.ts$/, '.js'))];
}
