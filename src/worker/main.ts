import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { warnAboutConfig } from '../config/warnings';
import { createLogger } from '../logger';
import { connectionOptions, resolveTemporalTarget } from '../temporal/connection';
import { Client } from '@temporalio/client';
import { applySchedulesAtStart } from '../schedules/apply';
import { dataConverterFor } from '../temporal/codec';
import { createWorkers, installRuntime, runWorkers } from './workers';
import { tracingFromConfig } from '../tracing/install';

// The worker role alone, for deployment: connects to TEMPORAL_ADDRESS and serves every task queue.
async function main(): Promise<void> {
  const config = loadConfig(process.env, 'worker', { deployable: true });
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, name: 'worker' });
  warnAboutConfig(config, logger);
  installRuntime(logger, config.worker.metricsPort);
  const tracing = tracingFromConfig(config.tracing, 'worker');
  if (tracing) logger.info({ endpoint: config.tracing.endpoint }, 'tracing to OTLP/HTTP');
  const target = resolveTemporalTarget(config, process.env);
  const connection = await NativeConnection.connect(connectionOptions(target));
  const workers = await createWorkers({ connection, namespace: target.namespace, config, logger });
  // Workers hold the connection until they have run and shut down: a failure before that exits the process with its
  // own error (closing the connection first would fail and hide it).
  const client = new Client({ connection, namespace: target.namespace, dataConverter: dataConverterFor(config) });
  await applySchedulesAtStart(client, config, logger);
  logger.info({ address: target.address, namespace: target.namespace }, 'worker running');
  await runWorkers(workers);
  await tracing?.shutdown();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
