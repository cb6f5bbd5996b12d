import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../src/config';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, uniqueId } from '../helpers/stack';
import { startProductionIngress } from './production-ingress';

// Every answer the ingress documents, with the official standardwebhooks package acting as the sender.
describe('POST /webhooks/shop', () => {
  let stack: Stack;
  let secret: string;
  let url: string;

  beforeAll(async () => {
    // A second, rotated-in secret: deliveries signed with either are accepted.
    const rotated = `whsec_${Buffer.from('rotated-secret-for-tests-0001').toString('base64')}`;
    const primary = loadConfig({ NODE_ENV: 'test' }).sources.shop.secrets[0]!;
    stack = await startStack({ env: { WEBHOOK_SECRET_SHOP: `${rotated} ${primary}` } });
    secret = primary;
    url = `${stack.apiUrl}/webhooks/shop`;
  });
  afterAll(() => stack.stop());

  const fresh = () => {
    const eventId = uniqueId('evt_');
    return { eventId, body: orderPaidBody(eventId, uniqueId('ORD-')) };
  };

  test('a new event is accepted with 202 and its workflow id and run id', async () => {
    const { eventId, body } = fresh();
    const res = await post(url, signShop(secret, eventId, body));
    expect(res.status).toBe(202);
    const json: any = await res.json();
    expect(json).toEqual({
      status: 'accepted',
      workflowId: `${stack.config.temporal.taskQueuePrefix}shop:${eventId}`,
      runId: expect.any(String),
    });
    const description = await stack.client.workflow.getHandle(json.workflowId).describe();
    expect(description.type).toBe('orderPaid');
    expect(description.runId).toBe(json.runId);
  });

  test('the same event again is a 200 duplicate carrying the first run id', async () => {
    const { eventId, body } = fresh();
    const first: any = await (await post(url, signShop(secret, eventId, body))).json();
    const again = await post(url, signShop(secret, eventId, body));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate', workflowId: first.workflowId, runId: first.runId });
  });

  test('a delivery signed with the rotated-in secret is accepted', async () => {
    const { eventId, body } = fresh();
    const rotated = stack.config.sources.shop.secrets[0]!;
    expect(rotated).not.toBe(secret);
    expect((await post(url, signShop(rotated, eventId, body))).status).toBe(202);
  });

  test('a signature header carrying one wrong and one right signature is accepted', async () => {
    const { eventId, body } = fresh();
    const req = signShop(secret, eventId, body);
    req.headers['webhook-signature'] = `v1,${Buffer.alloc(32).toString('base64')} ${req.headers['webhook-signature']}`;
    expect((await post(url, req)).status).toBe(202);
  });

  test('a tampered body is rejected with 401 and starts nothing', async () => {
    const { eventId, body } = fresh();
    const req = signShop(secret, eventId, body);
    req.body = body.replace('1499', '1');
    const res = await post(url, req);
    expect(res.status).toBe(401);
    await expect(
      stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${eventId}`).describe(),
    ).rejects.toThrow(/not found/i);
  });

  test('a missing signature is rejected with 401', async () => {
    const { eventId, body } = fresh();
    const req = signShop(secret, eventId, body);
    delete req.headers['webhook-signature'];
    expect((await post(url, req)).status).toBe(401);
  });

  test('a signature made with an unknown secret is rejected with 401', async () => {
    const { eventId, body } = fresh();
    const other = `whsec_${Buffer.from('somebody-else-entirely').toString('base64')}`;
    expect((await post(url, signShop(other, eventId, body))).status).toBe(401);
  });

  test('a timestamp more than five minutes old is rejected with 401', async () => {
    const { eventId, body } = fresh();
    const stale = new Date(Date.now() - 6 * 60 * 1000);
    expect((await post(url, signShop(secret, eventId, body, stale))).status).toBe(401);
  });

  test('invalid JSON is a 400', async () => {
    const eventId = uniqueId('evt_');
    const res = await post(url, signShop(secret, eventId, '{"event": "order.paid",'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toBe('invalid_json');
  });

  test('a schema violation is a 400 that names the field', async () => {
    const eventId = uniqueId('evt_');
    const body = orderPaidBody(eventId, 'ORD-1', {
      order: { id: 'ORD-1', total: 'lots', currency: 'PLN', customer_email: 'k.nowak@example.com' },
    });
    const res = await post(url, signShop(secret, eventId, body));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_payload', field: 'order.total' });
  });

  test('a body over the limit is a 413', async () => {
    const eventId = uniqueId('evt_');
    const body = orderPaidBody(eventId, 'ORD-1', { padding: 'x'.repeat(stack.config.http.maxBodyBytes) });
    expect((await post(url, signShop(secret, eventId, body))).status).toBe(413);
  });

  test('a body that is not application/json is a 415', async () => {
    const { eventId, body } = fresh();
    const req = signShop(secret, eventId, body);
    req.headers['content-type'] = 'text/plain';
    expect((await post(url, req)).status).toBe(415);
  });

  test('an unknown source is a 404', async () => {
    const { eventId, body } = fresh();
    expect((await post(`${stack.apiUrl}/webhooks/nobody`, signShop(secret, eventId, body))).status).toBe(404);
  });

  test('a well-signed event type with no flow is acknowledged as ignored', async () => {
    const eventId = uniqueId('evt_');
    const body = JSON.stringify({ event: 'order.refunded', event_id: eventId, occurred_at: '2024-11-12T09:41:07Z' });
    const res = await post(url, signShop(secret, eventId, body));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ignored' });
  });

  test('health and readiness answer', async () => {
    expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${stack.apiUrl}/readyz`)).json()).toMatchObject({ status: 'ready' });
  });

  test('metrics count accepted and rejected deliveries by source and outcome', async () => {
    const text = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    expect(text).toMatch(/switchyard_webhooks_total\{source="shop",event_type="order\.paid",outcome="accepted"/);
    expect(text).toMatch(/switchyard_webhooks_total\{[^}]*outcome="rejected",reason="signature_mismatch"\}/);
    expect(text).toContain('switchyard_ingress_latency_seconds_bucket');
  });

  test('the sender library agrees with our verifier on what it signed', () => {
    const wh = new Webhook(secret);
    const { eventId, body } = fresh();
    const req = signShop(secret, eventId, body);
    expect(() => wh.verify(body, req.headers)).not.toThrow();
  });
});

describe('POST /webhooks/shop when Temporal is unreachable', () => {
  let stack: Stack;
  let api: Awaited<ReturnType<typeof startProductionIngress>>;
  beforeAll(async () => {
    stack = await startStack({ workers: false });
    // Port 9 (discard) on loopback: nothing listens, connections are refused. Outages in depth (refused and
    // black-holed, recovery, exactly-once) are in temporal-unreachable.test.ts.
    api = await startProductionIngress(stack.config, '127.0.0.1:9');
  });
  afterAll(async () => {
    await api.stop();
    await stack.stop();
  });

  test('answers 503 with Retry-After within the start timeout and reports unready', async () => {
    const eventId = uniqueId('evt_');
    const secret = stack.config.sources.shop.secrets[0]!;
    const started = Date.now();
    const res = await post(`${api.url}/webhooks/shop`, signShop(secret, eventId, orderPaidBody(eventId, 'ORD-1')));
    expect(Date.now() - started).toBeLessThan(loadConfig({}).temporal.startTimeoutMs + 500);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(503);
  });
});
