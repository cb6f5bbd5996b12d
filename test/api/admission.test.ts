import http from 'node:http';
import { createApp } from '../../src/api/app';
import { createApiMetrics } from '../../src/api/metrics';
import { createSources } from '../../src/api/sources';
import { createWorkflowStarter } from '../../src/api/workflow-starter';
import { createLogger } from '../../src/logger';
import { dataConverterFor } from '../../src/temporal/codec';
import { createLazyClient } from '../../src/temporal/connection';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { closeServer, listenOnFreePort, TEST_ADDRESS, testConfig, uniqueId } from '../helpers/stack';

// Admission: past WEBHOOK_MAX_IN_FLIGHT deliveries at once, the next is answered 503 with Retry-After at once and
// starts nothing; a place frees when a delivery is answered. One delivery is held in flight by sending half its body.

test('a delivery past WEBHOOK_MAX_IN_FLIGHT is answered 503 overloaded with Retry-After and starts nothing', async () => {
  const config = testConfig('http://127.0.0.1:1', { WEBHOOK_MAX_IN_FLIGHT: '1' });
  const client = createLazyClient({ address: TEST_ADDRESS(), namespace: 'default' }, dataConverterFor(config));
  const app = createApp({
    config,
    logger: createLogger({ level: 'silent' }),
    starter: createWorkflowStarter(client, config.temporal.startTimeoutMs),
    metrics: createApiMetrics(),
    sources: createSources(config),
  });
  const { server, url } = await listenOnFreePort(app);
  const secret = config.sources.shop.secrets[0]!;
  const delivery = () => {
    const eventId = uniqueId('evt_');
    return { eventId, signed: signShop(secret, eventId, orderPaidBody(eventId, uniqueId('ORD-'))) };
  };
  const workflowOf = (eventId: string) =>
    client.workflow.getHandle(`${config.temporal.taskQueuePrefix}shop:${eventId}`).describe();
  try {
    // The first delivery's headers and half its body: admitted, and in flight until the rest arrives.
    const first = delivery();
    const admitted = new Promise((resolve) => server.once('request', resolve));
    const answered = new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${url}/webhooks/shop`,
        {
          method: 'POST',
          headers: { ...first.signed.headers, 'content-length': Buffer.byteLength(first.signed.body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      const body = Buffer.from(first.signed.body);
      req.write(body.subarray(0, body.length >> 1));
      void admitted.then(() => setTimeout(() => req.end(body.subarray(body.length >> 1)), 300));
    });
    await admitted;

    const second = delivery();
    const refused = await post(`${url}/webhooks/shop`, second.signed);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'overloaded' });
    await expect(workflowOf(second.eventId)).rejects.toThrow();

    expect(await answered).toBe(202);
    // The place is free again: the refused delivery, resent, is accepted.
    expect((await post(`${url}/webhooks/shop`, second.signed)).status).toBe(202);
    await expect(workflowOf(second.eventId)).resolves.toMatchObject({ type: 'orderPaid' });
  } finally {
    await closeServer(server);
    await client.connection.close();
  }
});
