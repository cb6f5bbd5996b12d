import { Writable } from 'node:stream';
import { WorkflowFailedError } from '@temporalio/client';
import { AuthFailureLimiter } from '../../src/api/admin';
import { createApiMetrics } from '../../src/api/metrics';
import { createOperatorApp } from '../../src/api/app';
import { createWorkflowStarter } from '../../src/api/workflow-starter';
import { buildCatalog } from '../../src/catalog/catalog';
import { createLogger } from '../../src/logger';
import { createSources } from '../../src/api/sources';
import { type Config } from '../../src/config';
import { SYSTEMS } from '../../src/registry';
import { closeServer, listenOnFreePort, type Stack, startStack } from '../helpers/stack';
import { eventually, ownQueue, postOrder } from './helpers';

const TOKEN = 'adm_0123456789abcdef0123';

// The service's app on a port of its own, with its log lines captured; each app counts its own auth failures.
async function auditedApp(stack: Stack, config: Config = stack.config) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const app = createOperatorApp({
    config,
    logger: createLogger({ level: 'info' }, sink as never),
    starter: createWorkflowStarter(stack.client, config.temporal.startTimeoutMs),
    metrics: createApiMetrics(),
    sources: createSources(config),
    client: stack.client,
  });
  const { server, url } = await listenOnFreePort(app);
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    url,
    lines,
    records,
    outcomes: () => records().filter((r) => r.msg === 'admin outcome'),
    close: () => closeServer(server),
  };
}

describe('the admin API', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_NAME: 'oncall-bot' } });
  });
  afterAll(() => stack.stop());

  const call = (path: string, init: RequestInit = {}, token?: string, base = stack.adminUrl) =>
    fetch(`${base}/admin${path}`, {
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
    // A fresh app per case: seven refusals stay under the limit on authentication failures.
    const app = await auditedApp(stack);
    for (const [path, method] of [
      ['/find/ORD-1', 'GET'],
      ['/list', 'GET'],
      ['/stuck', 'GET'],
      ['/workflows/shop:evt_x/terminate', 'POST'],
      ['/workflows/shop:evt_x/cancel', 'POST'],
      ['/workflows/shop:evt_x/reset', 'POST'],
      ['/redrive', 'POST'],
      ['/catalog', 'GET'],
    ] as const) {
      const res = await call(
        path,
        { method, body: method === 'POST' ? '{"reason":"x","query":"x"}' : undefined },
        token,
        app.url,
      );
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    await app.close();
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

  test('with the token, GET /admin/catalog answers the catalog JSON that `npm run catalog -- --json` prints, audited', async () => {
    const app = await auditedApp(stack);
    try {
      const res = await call('/catalog', {}, `Bearer ${TOKEN}`, app.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(buildCatalog())));
      const logged = await eventually(async () => app.outcomes().find((o) => o.action === 'catalog'));
      expect(logged).toMatchObject({
        actor: 'oncall-bot',
        status: 200,
        outcome: 'ok',
        result: { systems: SYSTEMS.length },
      });
      expect((await call('/catalog', {}, undefined, app.url)).status).toBe(401);
    } finally {
      await app.close();
    }
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
    const app = createOperatorApp({
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

      const audit = await eventually(async () =>
        lines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.msg === 'admin outcome' && l.action === 'terminate'),
      );
      expect(audit).toMatchObject({
        actor: 'oncall-bot',
        target: { workflowId: order.workflowId, reason: 'duplicate order, see ticket 99' },
        outcome: 'ok',
        result: { runId: expect.any(String) },
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
    const app = createOperatorApp({
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

describe('the admin API audit log and its guard against guessing', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_NAME: 'oncall-bot' } });
  });
  afterAll(() => stack.stop());

  const send = (url: string, path: string, init: { method?: string; body?: unknown; auth?: string } = {}) =>
    fetch(`${url}/admin${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', authorization: init.auth ?? `Bearer ${TOKEN}` },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  test('every call is logged with actor, action, target and outcome, refused and failed ones included, never the token', async () => {
    const app = await auditedApp(stack);
    try {
      const calls = [
        {
          req: { path: '/workflows/shop:evt_x/terminate', method: 'POST', body: { reason: 'x' }, auth: 'Bearer nope' },
          status: 401,
          logged: { actor: null, action: 'terminate', target: { workflowId: 'shop:evt_x' }, outcome: 'refused' },
        },
        {
          req: { path: '/list?status=bogus' },
          status: 400,
          logged: { actor: 'oncall-bot', action: 'list', target: { status: 'bogus' }, outcome: 'refused' },
        },
        {
          req: { path: '/workflows/shop:evt_nope/terminate', method: 'POST', body: { reason: 'ticket 7' } },
          status: 404,
          logged: {
            actor: 'oncall-bot',
            action: 'terminate',
            target: { workflowId: 'shop:evt_nope', reason: 'ticket 7' },
            outcome: 'refused',
          },
        },
        {
          req: {
            path: '/redrive',
            method: 'POST',
            body: { query: 'WorkflowId = "shop:evt_none"', dryRun: false, planId: 'f'.repeat(32) },
          },
          status: 409,
          logged: {
            actor: 'oncall-bot',
            action: 'redrive',
            target: { query: 'WorkflowId = "shop:evt_none"', dryRun: false, planId: 'f'.repeat(32) },
            outcome: 'refused',
          },
        },
        {
          req: { path: '/workflows/shop:evt_x/cancel', method: 'POST', body: { runId: 'not-a-run-id' } },
          status: 500,
          logged: { actor: 'oncall-bot', action: 'cancel', target: { workflowId: 'shop:evt_x' }, outcome: 'failed' },
        },
        {
          req: { path: '/find/ORD-none' },
          status: 200,
          logged: { actor: 'oncall-bot', action: 'find', target: { key: 'ORD-none' }, outcome: 'ok' },
        },
      ];
      for (const [i, c] of calls.entries()) {
        const res = await send(app.url, c.req.path, c.req);
        expect({ path: c.req.path, status: res.status }).toEqual({ path: c.req.path, status: c.status });
        const logged = await eventually(async () => app.outcomes()[i]);
        expect(logged).toMatchObject({ ...c.logged, status: c.status, ip: expect.any(String) });
      }
      // The authenticated ones were logged as attempts before they ran, with the same request id.
      const attempts = app.records().filter((r) => r.msg === 'admin attempt');
      expect(attempts.map((a) => a.action)).toEqual(['list', 'terminate', 'redrive', 'cancel', 'find']);
      for (const a of attempts) {
        expect(app.outcomes().filter((o) => o.requestId === a.requestId)).toHaveLength(1);
      }
      expect(app.outcomes()[4]).toMatchObject({ error: { message: expect.any(String) } });
      expect(app.lines.join('\n')).not.toContain(TOKEN);
    } finally {
      await app.close();
    }
  });

  test('a redrive logs each reset as it happens, before the outcome of the call', async () => {
    await fetch(`${stack.sandboxUrl}/__admin/accounting/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ respondNext: { status: 400, count: 2 } }),
    });
    const orders = [await postOrder(stack), await postOrder(stack)];
    for (const o of orders) {
      await expect(stack.client.workflow.getHandle(o.workflowId).result()).rejects.toBeInstanceOf(WorkflowFailedError);
    }
    const app = await auditedApp(stack);
    try {
      const query = ownQueue(stack);
      const planId = await eventually(async () => {
        const dry = (await (await send(app.url, '/redrive', { method: 'POST', body: { query } })).json()) as {
          planId: string;
          items: unknown[];
        };
        return dry.items.length === 2 ? dry.planId : undefined;
      });
      const res = await send(app.url, '/redrive', { method: 'POST', body: { query, dryRun: false, planId } });
      expect(res.status).toBe(200);
      const report = (await res.json()) as { reset: Array<{ workflowId: string; runId: string; newRunId: string }> };
      expect(report.reset).toHaveLength(2);

      await eventually(async () => (app.outcomes().length >= 2 ? true : undefined));
      const records = app.records();
      const resets = records.filter((r) => r.msg === 'admin redrive reset');
      expect(resets).toEqual(
        report.reset.map((r) =>
          expect.objectContaining({
            actor: 'oncall-bot',
            workflowId: r.workflowId,
            runId: r.runId,
            newRunId: r.newRunId,
          }),
        ),
      );
      const outcome = records.findIndex(
        (r) =>
          r.msg === 'admin outcome' &&
          r.action === 'redrive' &&
          r.status === 200 &&
          (r.target as { dryRun?: boolean }).dryRun === false,
      );
      expect(outcome).toBeGreaterThan(records.indexOf(resets[1]!));
      expect(resets[0]!.requestId).toBe(records[outcome]!.requestId);
    } finally {
      await app.close();
    }
  });

  test('after 10 failed authentications within a minute, the client gets 429 with Retry-After, even with the right token', async () => {
    const app = await auditedApp(stack);
    try {
      for (let i = 0; i < 10; i++) {
        expect((await send(app.url, '/list', { auth: `Bearer wrong-${i}` })).status).toBe(401);
      }
      const limited = await send(app.url, '/list', { auth: 'Bearer wrong-again' });
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await send(app.url, '/list')).status).toBe(429);
      await eventually(async () => (app.outcomes().length === 12 ? true : undefined));
      expect(app.outcomes().map((o) => o.status)).toEqual([...Array<number>(10).fill(401), 429, 429]);
    } finally {
      await app.close();
    }
  });
});

describe('the authentication failure limiter', () => {
  test('the window slides: a client gets in again once its oldest failure is a minute old, and other clients are not affected', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter({ max: 10, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 10; i++) {
      expect(limiter.retryAfterMs('10.0.0.1')).toBe(0);
      limiter.fail('10.0.0.1');
      now += 1000;
    }
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(50_000);
    expect(limiter.retryAfterMs('10.0.0.2')).toBe(0);
    now = 60_000;
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(0);
    limiter.fail('10.0.0.1');
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(1000);
  });

  test('memory stays bounded: beyond maxClients, the client seen longest ago is forgotten', () => {
    const now = 0;
    const limiter = new AuthFailureLimiter({ max: 1, windowMs: 60_000, maxClients: 3, now: () => now });
    for (const ip of ['a', 'b', 'c', 'd']) limiter.fail(ip);
    expect(limiter.size).toBe(3);
    expect(limiter.retryAfterMs('a')).toBe(0);
    expect(limiter.retryAfterMs('d')).toBe(60_000);
  });
});
