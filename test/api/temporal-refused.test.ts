import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createWorkflowStarter } from '../../src/api/workflow-starter';
import { type DevServer, startDevServer } from '../../src/dev/temporal-dev-server';
import { createLogger } from '../../src/logger';
import { createSources } from '../../src/api/sources';
import { dataConverterFor } from '../../src/temporal/codec';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { closeServer, listenOnFreePort, testConfig, uniqueId } from '../helpers/stack';
import { apiClients, call } from './v1/helpers';

// A server whose config refuses what we send (here: an id limit far below the shipped 255 bytes) answers
// InvalidArgument. Asking again is refused again: a command is a 400 naming the cause, never a 500 its client retries
// forever; a webhook is a 500 start_refused, logged and counted (the alert pages), which its sender retries until the
// server's config is fixed.
describe('when Temporal refuses a start as invalid', () => {
  const clients = apiClients([{ name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 }]);
  const lines: Array<Record<string, unknown>> = [];
  const metrics = createApiMetrics();
  let server: DevServer;
  let url: string;
  let secret: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    server = await startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH!, port: 0, maxIdBytes: 40 });
    const config = testConfig('http://127.0.0.1:9', { API_CLIENTS: clients.env, API_SYNC_WAIT_MS: '5000' });
    secret = config.sources.shop.secrets[0]!;
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFor(config) });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = createApp({
      config,
      logger: createLogger({ level: 'info' }, sink),
      starter: createWorkflowStarter(client, 5000),
      metrics,
      sources: createSources(config),
      client,
    });
    const listening = await listenOnFreePort(app);
    url = listening.url;
    stop = async () => {
      await closeServer(listening.server);
      await connection.close();
    };
  });
  afterAll(async () => {
    await stop?.();
    await server?.stop();
  });

  test('a command is answered 400 rejected_by_temporal naming the cause, and nothing is started', async () => {
    const answer = await call(url, `/api/v1/orders/${uniqueId('ORD-')}/invoice`, {
      key: clients.keys.erp,
      idempotencyKey: uniqueId('a-long-idempotency-key-'),
      body: { total: 1, currency: 'PLN', customerEmail: 'a@example.com' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'rejected_by_temporal' });
    expect(answer.body.message).toMatch(/Temporal refused to start this command: .*WorkflowId/i);
    expect(answer.body.message).toMatch(/Nothing was started/);
  });

  test('a webhook is answered 500 start_refused, with an error log line naming the cause and a counted start error', async () => {
    const eventId = uniqueId('evt_an-event-id-longer-than-the-limit-');
    const res = await post(`${url}/webhooks/shop`, signShop(secret, eventId, orderPaidBody(eventId, uniqueId('ORD-'))));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; message: string };
    expect(body).toMatchObject({ error: 'start_refused' });
    expect(body.message).toMatch(/WorkflowId/i);
    const logged = lines.find((l) => l.refusal !== undefined);
    expect(logged).toMatchObject({
      level: 'error',
      source: 'shop',
      msg: expect.stringMatching(/start refused by Temporal/),
    });
    const counted = await metrics.registry.getSingleMetricAsString('switchyard_temporal_start_errors_total');
    expect(counted).toMatch(/reason="refused"\} 1/);
  });
});
