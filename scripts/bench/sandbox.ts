// The sandbox as `npm run sandbox` runs it, plus BENCH_SEED_CRM_CONTACTS changed contacts in the CRM (P5's 20,000).
import { loadConfig } from '../../src/config';
import { seedCrmContacts } from '../../src/sandbox/seed';
import { createSandbox, sandboxKeys } from '../../src/sandbox/server';

async function main(): Promise<void> {
  const config = loadConfig(process.env, 'worker');
  const sandbox = createSandbox(sandboxKeys(config));
  seedCrmContacts(sandbox.data.crm, Number(process.env.BENCH_SEED_CRM_CONTACTS ?? 0), 'bench_');
  const { server, url } = await sandbox.listen(config.sandbox.port, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ msg: 'sandbox listening', url })}\n`);
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
