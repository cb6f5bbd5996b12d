import { Writable } from 'node:stream';
import { createApiMetrics } from '../../src/api/metrics';
import { createApp } from '../../src/api/app';
import { createWorkflowStarter } from '../../src/api/workflow-starter';
import { createLogger } from '../../src/logger';
import { createSources } from '../../src/sources';
import { closeServer, listenOnFreePort, type Stack, startStack } from '../helpers/stack';
import { eventually, postOrder } from './helpers';

const TOKEN = 'adm_0123456789abcdef0123';

describe('the admin API', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_NAME: 'oncall-bot' } });
  });
  afterAll(() => stack.stop());

  const call = (path: string, init: RequestInit = {}, token?: string) =>
    fetch(`${stack.apiUrl}/admin${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: token } : {}) },
    });

  test.each([
    ['no Authorization header', undefined],
    ['a wrong token of the same length', `Bearer ${'x'.repeat(TOKEN.length)}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`],
    ['the token with a suffix', `Bearer ${TOKEN}x`],
    ['the token without the Bearer scheme', TOKEN],
    ['Basic auth', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('with %s, every endpoint answers 401', async (_case, token) => {
    for (const [path, method] of [
      ['/find/ORD-1', 'GET'],
      ['/list', 'GET'],
      ['/stuck', 'GET'],
      ['/workflows/shop:evt_x/terminate', 'POST'],
      ['/workflows/shop:evt_x/cancel', 'POST'],
      ['/workflows/shop:evt_x/reset', 'POST'],
      ['/redrive', 'POST'],
    ] as const) {
      const res = await call(
        path,
        { method, body: method === 'POST' ? '{"reason":"x","query":"x"}' : undefined },
        token,
      );
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  test('with the token, find answers the execution of an order with its Web UI link', async () => {
    const order = await postOrder(stack);
    await stack.client.workflow.getHandle(order.workflowId).result();
    const body = await eventually(async () => {
      const res = await call(`/find/${order.orderId}`, {}, `Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      const json = (await res.json()) as { data: Array<{ workflowId: string; status: string; link: string }> };
      return json.data.length ? json : undefined;
    });
    expect(body.data).toEqual([
      expect.objectContaining({
        workflowId: order.workflowId,
        status: 'COMPLETED',
        link: expect.stringContaining('/history'),
      }),
    ]);
    expect((await call('/list?status=bogus', {}, `Bearer ${TOKEN}`)).status).toBe(400);
    expect(
      (await call('/workflows/shop:evt_nope/terminate', { method: 'POST', body: '{"reason":"x"}' }, `Bearer ${TOKEN}`))
        .status,
    ).toBe(404);
  });

  test('a state-changing call is logged with the token name, never its value', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, sink as never);
    const app = createApp({
      config: stack.config,
      logger,
      starter: createWorkflowStarter(stack.client, stack.config.temporal.startTimeoutMs),
      metrics: createApiMetrics(),
      sources: createSources(stack.config),
      client: stack.client,
    });
    const { server, url } = await listenOnFreePort(app);
    try {
      await fetch(`${stack.sandboxUrl}/__admin/accounting/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ holdPaths: ['/invoices'] }),
      });
      const order = await postOrder(stack);
      const res = await fetch(`${url}/admin/workflows/${encodeURIComponent(order.workflowId)}/terminate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ reason: 'duplicate order, see ticket 99' }),
      });
      expect(res.status).toBe(200);
      expect((await stack.client.workflow.getHandle(order.workflowId).describe()).status.name).toBe('TERMINATED');

      const audit = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.action === 'terminate');
      expect(audit).toMatchObject({
        actor: 'oncall-bot',
        workflowId: order.workflowId,
        reason: 'duplicate order, see ticket 99',
      });
      expect(lines.join('\n')).not.toContain(TOKEN);
    } finally {
      await fetch(`${stack.sandboxUrl}/__admin/accounting/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await closeServer(server);
    }
  });

  test('without ADMIN_TOKEN in production, /admin does not exist (404), token or not', async () => {
    const config = { ...stack.config, production: true, admin: undefined };
    const app = createApp({
      config,
      logger: createLogger({ level: 'silent' }),
      starter: createWorkflowStarter(stack.client, config.temporal.startTimeoutMs),
      metrics: createApiMetrics(),
      sources: createSources(config),
      client: stack.client,
    });
    const { server, url } = await listenOnFreePort(app);
    try {
      expect((await fetch(`${url}/admin/list`)).status).toBe(404);
      expect((await fetch(`${url}/admin/list`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
      expect(
        (await fetch(`${url}/admin/redrive`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status,
      ).toBe(404);
    } finally {
      await closeServer(server);
    }
  });
});
