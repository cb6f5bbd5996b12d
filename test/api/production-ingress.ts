import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createWorkflowStarter } from '../../src/api/workflow-starter';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createSources } from '../../src/api/sources';
import { dataConverterFor } from '../../src/temporal/codec';
import { createLazyClient } from '../../src/temporal/connection';
import { closeServer, listenOnFreePort } from '../helpers/stack';

/**
 * The ingress wired exactly as src/api/main.ts wires it (createLazyClient + createWorkflowStarter), against any
 * Temporal address, e.g. a fault-injecting proxy's: the client's retry, backoff and keepalive settings are under test.
 */
export async function startProductionIngress(config: Config, temporalAddress: string) {
  const client = createLazyClient({ address: temporalAddress, namespace: 'default' }, dataConverterFor(config));
  // The shipped start deadline, not the test stack's allowance for event-loop lag: the deadline is under test here.
  const startTimeoutMs = loadConfig({}).temporal.startTimeoutMs;
  const app = createApp({
    config,
    logger: createLogger({ level: 'silent' }),
    starter: createWorkflowStarter(client, startTimeoutMs),
    metrics: createApiMetrics(),
    sources: createSources(config),
  });
  const { server, url } = await listenOnFreePort(app);
  return {
    url,
    async stop() {
      await closeServer(server);
      await client.connection.close();
    },
  };
}
