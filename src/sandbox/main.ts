import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createSandbox, sandboxKeys } from './server';

// `npm run sandbox`: the stand-ins alone, on SANDBOX_PORT, accepting the keys the configured clients send (the
// development ones unless set). For running the API and the worker as separate processes against them.
async function main(): Promise<void> {
  const config = loadConfig(process.env, 'worker');
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'sandbox' });
  const sandbox = createSandbox(sandboxKeys(config));
  const { server, url } = await sandbox.listen(config.sandbox.port, '127.0.0.1');
  logger.info(
    { url, systems: Object.keys(sandbox.systems) },
    'sandbox listening; faults and request logs under /__admin',
  );
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`sandbox failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
