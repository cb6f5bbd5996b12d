import http from 'node:http';
import { createLifecycle } from '../../src/api/shutdown';
import { orderPaidBody, signShop } from '../helpers/signing';
import { hookSource } from '../integrations/fixtures/hook-source';
import { type InProcessApi, rawHeaders, startInProcessApi } from './in-process';

// The webhook ingress answers deliveries before Express sees a request (src/api/webhooks): it routes them as the
// Express route did, reads bodies as body-parser did, and leaves every other request to the app.
describe('the webhook ingress in front of the Express app', () => {
  let api: InProcessApi;
  const lifecycle = createLifecycle();
  let serial = 0;

  beforeAll(async () => {
    api = await startInProcessApi({}, { lifecycle });
  });
  afterAll(() => api.stop());

  const delivery = (path: string) => {
    const eventId = `evt_route${(serial += 1)}`;
    const signed = signShop(api.config.sources.shop.secrets[0]!, eventId, orderPaidBody(eventId, `ORD-R${serial}`));
    return { eventId, request: { path, headers: rawHeaders(signed.headers), body: signed.body } };
  };

  test.each(['/webhooks/shop', '/webhooks/shop/', '/WEBHOOKS/shop', '/webhooks/shop?via=proxy', '/webhooks/sh%6fp'])(
    '%s is a delivery to the shop source',
    async (path) => {
      const { eventId, request } = delivery(path);
      const answer = await api.send(request);
      expect(answer.status).toBe(202);
      expect(api.starts.map((s) => s.workflowId)).toContain(`${api.config.temporal.taskQueuePrefix}shop:${eventId}`);
    },
  );

  test.each([
    ['/webhooks/SHOP', 404, 'unknown_source'],
    ['/webhooks/%E0%A4%A', 400, 'bad_request'],
    ['/webhooks/shop/extra', 404, 'not_found'],
    ['/webhooks/', 404, 'not_found'],
  ])('%s is answered %d %s and starts nothing', async (path, status, error) => {
    const before = api.starts.length;
    const answer = await api.send(delivery(path).request);
    expect([answer.status, JSON.parse(answer.body).error]).toEqual([status, error]);
    expect(api.starts).toHaveLength(before);
  });

  test('any method but POST is left to the app: 404 not_found', async () => {
    const res = await fetch(`${api.url}/webhooks/shop`);
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([404, 'not_found']);
  });

  test('a chunked body over the limit is 413, counted, and the kept-alive connection then takes the next delivery', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: Buffer, headers: Record<string, string>) =>
      new Promise<{ status: number; reused: boolean; body: string }>((resolve, reject) => {
        const req = http.request(`${api.url}/webhooks/shop`, { method: 'POST', agent, headers }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, body: text }));
        });
        req.on('error', reject);
        // Written in pieces with no Content-Length: only counting the bytes as they arrive finds it too large.
        const chunk = 64 * 1024;
        for (let at = 0; at < body.length; at += chunk) req.write(body.subarray(at, at + chunk));
        req.end();
      });
    try {
      const big = Buffer.alloc(api.config.http.maxBodyBytes + 1, 'x');
      const refused = await post(big, { 'content-type': 'application/json' });
      expect([refused.status, JSON.parse(refused.body).error]).toEqual([413, 'payload_too_large']);

      const { eventId, request } = delivery('/webhooks/shop');
      const next = await post(Buffer.from(request.body), Object.fromEntries(request.headers));
      expect([next.status, next.reused]).toEqual([202, true]);
      expect(api.starts.map((s) => s.workflowId)).toContain(`${api.config.temporal.taskQueuePrefix}shop:${eventId}`);

      const metric = await api.metrics.registry.getSingleMetric('switchyard_webhooks_total')!.get();
      const counted = metric.values.filter((v) => v.labels.reason === 'payload_too_large');
      expect(counted.map((v) => [v.labels.source, v.labels.outcome, v.value])).toEqual([['shop', 'rejected', 1]]);
    } finally {
      agent.destroy();
    }
  });

  test('while the process drains, a delivery is still answered, and asks the sender to close its connection', async () => {
    lifecycle.begin();
    const answer = await api.send(delivery('/webhooks/shop').request);
    expect([answer.status, answer.headers.connection]).toEqual([202, 'close']);
  });
});

describe('a bug in a source adapter', () => {
  test('is a 500 that tells the sender nothing internal, logged with its cause, and starts nothing', async () => {
    const broken = {
      ...hookSource,
      adapter: (options: { toleranceSeconds?: number }) => ({
        ...hookSource.adapter(options),
        translate: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'id')");
        },
      }),
    };
    const api = await startInProcessApi({}, { sources: [broken] });
    try {
      const secret = (api.config.sources as Record<string, { secrets: string[] }>).hook!.secrets[0]!;
      const body = hookSource.sender.body('hk_bug', 'ORD-BUG');
      const signed = hookSource.sender.sign(secret, body, { eventId: 'hk_bug' });
      const answer = await api.send({ path: '/webhooks/hook', headers: rawHeaders(signed.headers), body });
      expect([answer.status, JSON.parse(answer.body)]).toEqual([500, { error: 'internal', message: 'internal error' }]);
      expect(api.starts).toHaveLength(0);
      const logged = api.logLines.map((l) => JSON.parse(l) as { msg: string; err?: { message: string } });
      expect(logged).toContainEqual(
        expect.objectContaining({
          msg: 'unhandled error in a webhook delivery',
          err: expect.objectContaining({ message: expect.stringContaining("reading 'id'") }),
        }),
      );
    } finally {
      await api.stop();
    }
  });
});
