import { createApp } from '../../../src/api/app';
import { createApiMetrics } from '../../../src/api/metrics';
import { createWorkflowStarter } from '../../../src/api/workflow-starter';
import { commandWorkflowId } from '../../../src/contracts/workflow-ids';
import { createLogger } from '../../../src/logger';
import { createSources } from '../../../src/api/sources';
import { createLazyClient } from '../../../src/temporal/connection';
import { closeServer, listenOnFreePort, testConfig, uniqueId } from '../../helpers/stack';
import { apiClients, call } from './helpers';

// Temporal not answering is the caller's to retry: 503 with Retry-After, never a 500 and never a 202 for a command
// that was not taken.
describe('/api/v1 while Temporal is unreachable', () => {
  const clients = apiClients([{ name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 }]);
  let url: string;
  let prefix: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const config = testConfig('http://127.0.0.1:9', { API_CLIENTS: clients.env, API_SYNC_WAIT_MS: '1500' });
    prefix = config.temporal.taskQueuePrefix;
    // Port 9 (discard) has nothing listening here: every connection is refused.
    const client = createLazyClient({ address: '127.0.0.1:9', namespace: 'default' });
    const app = createApp({
      config,
      logger: createLogger({ level: 'silent' }),
      starter: createWorkflowStarter(client, 1500),
      metrics: createApiMetrics(),
      sources: createSources(config),
      client,
    });
    const listening = await listenOnFreePort(app);
    url = listening.url;
    stop = async () => {
      await closeServer(listening.server);
      await client.connection.close();
    };
  });
  afterAll(() => stop());

  test('a command answers 503 with Retry-After; an operation lookup too', async () => {
    const answer = await call(url, `/api/v1/orders/${uniqueId('ORD-')}/invoice`, {
      key: clients.keys.erp,
      idempotencyKey: uniqueId('k-'),
      body: { total: 1, currency: 'PLN', customerEmail: 'a@example.com' },
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    const id = Buffer.from(commandWorkflowId(prefix, 'erp', 'some-key')).toString('base64url');
    const operation = await call(url, `/api/v1/operations/${id}`, { key: clients.keys.erp });
    expect(operation.status).toBe(503);
  });
});
