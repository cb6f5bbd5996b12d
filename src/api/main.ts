import { loadConfig } from '../config';
import { warnAboutConfig } from '../config/warnings';
import { createLogger } from '../logger';
import { createSources } from './sources';
import { dataConverterFor } from '../temporal/codec';
import { createLazyClient, resolveTemporalTarget } from '../temporal/connection';
import { listenApi } from './listeners';
import { createApiMetrics } from './metrics';
import { createLifecycle, drainAndClose } from './shutdown';
import { createWorkflowStarter } from './workflow-starter';
import { tracingFromConfig } from '../tracing/install';

// The API role alone, for deployment.
async function main(): Promise<void> {
  const config = loadConfig(process.env, 'api', { deployable: true });
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'api' });
  warnAboutConfig(config, logger);
  const tracing = tracingFromConfig(config.tracing, 'api');
  if (tracing) logger.info({ endpoint: config.tracing.endpoint }, 'tracing to OTLP/HTTP');
  const target = resolveTemporalTarget(config, process.env);
  const client = createLazyClient(target, dataConverterFor(config));
  const lifecycle = createLifecycle();
  const { ingress, operator } = await listenApi({
    config,
    logger,
    starter: createWorkflowStarter(client, config.temporal.startTimeoutMs),
    metrics: createApiMetrics({ defaultMetrics: true }),
    sources: createSources(config),
    client,
    lifecycle,
  });
  logger.info(
    { ingress: ingress.url, operator: operator.url, temporal: target.address, namespace: target.namespace },
    'api listening',
  );
  const stop = (signal: NodeJS.Signals) => {
    if (!lifecycle.begin()) return;
    logger.info({ signal }, 'api shutting down');
    void drainAndClose({
      servers: [ingress.server, operator.server],
      close: async () => {
        await Promise.all([client.connection.close(), tracing?.shutdown()]);
      },
      logger,
      ...config.shutdown,
    }).then((code) => process.exit(code));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`api failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
