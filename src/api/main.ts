import type { Server } from 'node:http';
import { loadConfig } from '../config';
import { warnAboutConfig } from '../config/warnings';
import { createLogger } from '../logger';
import { createSources } from '../sources';
import { createLazyClient, resolveTemporalTarget } from '../temporal/connection';
import { createApp } from './app';
import { createApiMetrics } from './metrics';
import { createWorkflowStarter } from './workflow-starter';

// The API role alone, for deployment.
async function main(): Promise<void> {
  const config = loadConfig(process.env, 'api', { deployable: true });
  const logger = createLogger({ level: config.logLevel, name: 'api' });
  warnAboutConfig(config, logger);
  const target = resolveTemporalTarget(config, process.env);
  const client = createLazyClient(target);
  const app = createApp({
    config,
    logger,
    starter: createWorkflowStarter(client, config.temporal.startTimeoutMs),
    metrics: createApiMetrics({ defaultMetrics: true }),
    sources: createSources(config),
    client,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s)).on('error', reject);
  });
  logger.info({ port: config.http.port, temporal: target.address, namespace: target.namespace }, 'api listening');
  const stop = () => {
    logger.info('api shutting down');
    server.close(() => void client.connection.close().finally(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`api failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
