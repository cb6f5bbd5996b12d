import fs from 'node:fs';
import type { DevServer } from '../../src/dev/temporal-dev-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__SWITCHYARD_DEV_SERVER__ as DevServer | undefined;
  await server?.stop();
  const dir = process.env.SWITCHYARD_TEST_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const built = process.env.SWITCHYARD_TEST_BUILD;
  if (built) fs.rmSync(built, { recursive: true, force: true });
}
