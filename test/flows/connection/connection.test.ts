import { connectionQuery, connectionWorkflowId } from '../../../src/contracts/connections';
import { ConnectionFailure } from '../../../src/contracts/failures';
import { createConnections } from '../../../src/kit/connections/client';
import { credentialReport } from '../../../src/ops/credentials';
import { authoriseStandInConnections } from '../../../src/dev/authorise-stand-ins';
import { createLogger } from '../../../src/logger';
import { eventually } from '../../ops/helpers';
import type { XeroData } from '../../../src/systems/accounting/xero/stand-in';
import { orderPaidBody, post, signShop } from '../../helpers/signing';
import { signStripe, stripePaymentBody } from '../../sources/senders';
import { seedShopOrders } from '../../../src/sandbox/seed';
import { queueFor } from '../../../src/contracts/task-queues';
import { failureMessage, type Stack, startStack, uniqueId } from '../../helpers/stack';

// The accounting connection with ACCOUNTING_CONNECTOR=xero, on the dev server, against the sandbox's Xero stand-in:
// authorised from the operator listener, the only writer of its tokens, broken by a revoked consent and healed by
// authorising again.

jest.setTimeout(120_000);

let stack: Stack;
const OPERATOR_CALLBACK = 'http://127.0.0.1:3001/connections/accounting/callback';

beforeAll(async () => {
  stack = await startStack({
    env: { ACCOUNTING_CONNECTOR: 'xero', ACCOUNTING_XERO_REDIRECT_URL: OPERATOR_CALLBACK },
  });
});
afterAll(() => stack?.stop());

const workflowId = () => connectionWorkflowId(stack.config.temporal.taskQueuePrefix, 'accounting');
const summary = () => stack.client.workflow.getHandle(workflowId()).query(connectionQuery);
const connections = () => createConnections({ temporal: stack.client, prefix: stack.config.temporal.taskQueuePrefix });
/** Refresh tokens the stand-in's identity server has exchanged: one per refresh it answered. */
const refreshesSeen = () =>
  [...(stack.sandbox.data['accounting-xero'] as XeroData).identity.refreshTokens.values()].filter((t) => t.used).length;

/** Opens the authorise link as a browser would: to the stand-in's consent, and back with its code and state. */
async function consent(): Promise<URL> {
  const start = await fetch(`${stack.adminUrl}/connections/accounting/authorize`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(authorize.searchParams.get('redirect_uri')).toBe(OPERATOR_CALLBACK);
  const consented = await fetch(authorize, { redirect: 'manual' });
  expect(consented.status).toBe(302);
  const back = new URL(consented.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(OPERATOR_CALLBACK);
  return back;
}

/** The stack's invoices in the Xero stand-in for `orderId`. */
const xeroInvoicesOf = (orderId: string) =>
  (stack.sandbox.data['accounting-xero'] as XeroData).invoices.filter((i) => i.reference === orderId);

/**
 * `n` paid orders the shop has and accounting never heard of, and the options of a reconcileOrders run over just
 * their window (a new workflow id each time).
 */
function missedOrders(n: number) {
  const shop = stack.sandbox.data.shop;
  const prefix = stack.config.temporal.taskQueuePrefix;
  const since = shop.now();
  const orders = seedShopOrders(shop, n, `${uniqueId('ORD-')}-`);
  const until = shop.now();
  return {
    orders,
    reconcileRun: () => ({
      workflowId: uniqueId('reconcile-orders-'),
      taskQueue: queueFor(prefix, 'orchestration'),
      args: [{ window: { since, until }, idPrefix: prefix }],
    }),
  };
}

/** Posts a signed order.paid for a new order and waits for its flow to finish; resolves with the order id. */
async function orderPaidDone(): Promise<string> {
  const eventId = uniqueId('evt_');
  const orderId = uniqueId('ORD-');
  const secret = stack.config.sources.shop.secrets[0]!;
  const res = await post(`${stack.apiUrl}/webhooks/shop`, signShop(secret, eventId, orderPaidBody(eventId, orderId)));
  expect(res.status).toBe(202);
  await stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${eventId}`).result();
  return orderId;
}

/** The provider's redirect, delivered to this stack's operator listener (its port is not the registered 3001). */
const callback = (back: URL, query = back.search) => fetch(`${stack.adminUrl}/connections/accounting/callback${query}`);

test('a callback that is not the pending authorisation’s is refused and changes nothing', async () => {
  // A system without an OAuth connector has no connection to authorise.
  for (const route of ['authorize', 'callback']) {
    const unknown = await fetch(`${stack.adminUrl}/connections/crm/${route}`, { redirect: 'manual' });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('crm has no OAuth connector');
  }
  const back = await consent();
  const forged = new URLSearchParams(back.search);
  forged.set('state', 'x'.repeat(32));
  const refused = await callback(back, `?${forged}`);
  expect(refused.status).toBe(400);
  expect(await refused.text()).toMatch(/state does not match/);
  expect((await summary()).status).toBe('pending');
  const denied = await callback(back, `?error=access_denied&state=${back.searchParams.get('state')}`);
  expect(denied.status).toBe(400);
  const array = await callback(back, `?code[]=a&state=${back.searchParams.get('state')}`);
  expect(array.status).toBe(400);
  // The real one still goes through afterwards.
  const ok = await callback(back);
  expect(ok.status).toBe(200);
  expect(await ok.text()).toContain('Demo Company (Sandbox)');
  expect(await summary()).toMatchObject({ status: 'connected', tenantName: 'Demo Company (Sandbox)' });
  // A replay of the same callback finds no authorisation in progress.
  expect((await callback(back)).status).toBe(400);
});

test('callers on many workers get one token; a burst of 401s for it refreshes it once', async () => {
  if ((await summary().catch(() => undefined))?.status !== 'connected')
    expect((await callback(await consent())).status).toBe(200);
  const workers = Array.from({ length: 6 }, connections);
  const tokens = await Promise.all(workers.map((w) => w.token('accounting')));
  expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
  const before = (await summary()).refreshes;
  const refreshesBefore = refreshesSeen();
  await Promise.all(workers.map((w) => w.rejected('accounting', tokens[0]!.accessToken)));
  const after = await Promise.all(workers.map((w) => w.token('accounting')));
  expect(new Set(after.map((t) => t.accessToken)).size).toBe(1);
  expect(after[0]!.accessToken).not.toBe(tokens[0]!.accessToken);
  expect((await summary()).refreshes).toBe(before + 1);
  expect(refreshesSeen() - refreshesBefore).toBe(1);
});

test('a revoked consent breaks the connection: one alert with the re-authorise link, a red run, callers held; authorising again heals it', async () => {
  if ((await summary().catch(() => undefined))?.status !== 'connected')
    expect((await callback(await consent())).status).toBe(200);
  const worker = connections();
  const { accessToken } = await worker.token('accounting');
  // The registry as `ops credentials` and GET /admin/credentials report it, from this configuration.
  const registry = async () =>
    (await credentialReport(stack.config, stack.client)).find((c) => c.name === 'connection:accounting');
  const healthy = await registry();
  expect(healthy).toMatchObject({
    state: 'valid',
    kind: 'oauth-connection',
    owner: 'integrations team',
    issued: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
  });
  // Its refresh token dies after 60 days unused: that is when it expires, unless it is refreshed first.
  const sixtyDays = new Date(Date.parse(healthy!.issued!) + 60 * 86_400_000).toISOString().slice(0, 10);
  expect([sixtyDays, new Date(Date.parse(sixtyDays) + 86_400_000).toISOString().slice(0, 10)]).toContain(
    healthy!.expires,
  );
  const alertsBefore = stack.sandbox.data.alerts.received.length;
  await fetch(`${stack.sandboxUrl}/__admin/accounting-xero/revoke`, { method: 'POST' });
  await worker.rejected('accounting', accessToken);

  const handle = stack.client.workflow.getHandle(workflowId());
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('FAILED');
  const alerts = stack.sandbox.data.alerts.received.slice(alertsBefore);
  expect(alerts).toHaveLength(1);
  expect(alerts[0]!.payload).toMatchObject({ kind: 'failed', workflow_type: 'connection' });
  expect(String(alerts[0]!.payload.text)).toMatch(
    /re-authorise at http:\/\/127\.0\.0\.1:3001\/connections\/accounting\/authorize/,
  );
  expect(JSON.stringify(alerts[0]!.payload)).not.toContain(accessToken);

  const broken = await registry();
  expect(broken).toMatchObject({ state: 'broken', detail: expect.stringMatching(/failed: re-authorise it/) });
  expect(JSON.stringify(broken)).not.toContain(accessToken);

  const held = await worker.token('accounting').catch((err: unknown) => err);
  expect(held).toMatchObject({ type: ConnectionFailure.broken, nextRetryDelay: 60_000 });

  expect((await callback(await consent())).status).toBe(200);
  await expect(worker.token('accounting')).resolves.toMatchObject({ tenantId: expect.any(String) });
});

test('an order paid before the connection is authorised waits, then is invoiced in Xero once it is', async () => {
  // A connection of its own: another stack, another prefix, never authorised.
  const other = await startStack({
    env: { ACCOUNTING_CONNECTOR: 'xero', ACCOUNTING_XERO_REDIRECT_URL: OPERATOR_CALLBACK },
  });
  try {
    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const body = orderPaidBody(eventId, orderId);
    const posted = await post(
      `${other.apiUrl}/webhooks/shop`,
      signShop(other.config.sources.shop.secrets[0]!, eventId, body),
    );
    expect(posted.status).toBe(202);
    const handle = other.client.workflow.getHandle(`${other.config.temporal.taskQueuePrefix}shop:${eventId}`);
    // Held: createInvoice fails at once with ConnectionNotAuthorized, without calling Xero.
    const held = await eventually(async () => {
      const [pending] = (await handle.describe()).raw.pendingActivities ?? [];
      const message = await failureMessage(other.client, pending?.lastFailure);
      return message?.includes('not authorised') ? { pending, message } : undefined;
    });
    expect(held.pending?.activityType?.name).toBe('createInvoice');
    expect(held.message).toMatch(
      /the accounting connection is not authorised: open \/connections\/accounting\/authorize/,
    );
    const xero = () => other.sandbox.data['accounting-xero'] as XeroData;
    expect(xero().invoices.filter((i) => i.reference === orderId)).toHaveLength(0);

    const start = await fetch(`${other.adminUrl}/connections/accounting/authorize`, { redirect: 'manual' });
    const consented = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const back = new URL(consented.headers.get('location')!);
    expect((await fetch(`${other.adminUrl}/connections/accounting/callback${back.search}`)).status).toBe(200);

    // The held activity's next attempt (a minute later) would find it; a test does not wait a minute.
    await other.client.workflow.getHandle(handle.workflowId).describe();
    const activityId = held.pending!.activityId!;
    await other.client.connection.workflowService.resetActivity?.({
      namespace: other.config.temporal.namespace,
      execution: { workflowId: handle.workflowId },
      id: activityId,
    });
    const result = await handle.result();
    expect(result).toMatchObject({ orderId });
    expect(xero().invoices.filter((i) => i.reference === orderId)).toHaveLength(1);
  } finally {
    await other.stop();
  }
});

test('8 workers call Xero concurrently while the access token expires twice: one refresh per expiry, none reused, every call succeeds', async () => {
  if ((await summary().catch(() => undefined))?.status !== 'connected') {
    expect((await callback(await consent())).status).toBe(200);
  }
  const xero = stack.sandbox.data['accounting-xero'] as XeroData;
  const tokenCalls = () =>
    stack.sandbox.systems['accounting-xero']!.log.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/connect/token'),
    ).length;
  const workers = Array.from({ length: 8 }, connections);
  const before = { refreshes: refreshesSeen(), tokenCalls: tokenCalls(), runRefreshes: (await summary()).refreshes };
  const answers: number[] = [];
  /** One call as a connector makes it: a current token, a 401 reported and retried with the next one. */
  async function call(worker: ReturnType<typeof connections>): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { accessToken } = await worker.token('accounting');
      const res = await fetch(`${stack.sandboxUrl}/accounting-xero/connections`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      if (res.status !== 401) {
        answers.push(res.status);
        return;
      }
      await worker.rejected('accounting', accessToken);
    }
    answers.push(401);
  }
  const round = () => Promise.all(workers.flatMap((w) => [call(w), call(w)]));
  await round();
  // The provider's clock passes the token's 30 minutes while the workers keep calling.
  xero.identity.clockOffsetMs += 31 * 60_000;
  await Promise.all([round(), round()]);
  xero.identity.clockOffsetMs += 31 * 60_000;
  await Promise.all([round(), round()]);

  expect(answers).toHaveLength(5 * 16);
  expect(new Set(answers)).toEqual(new Set([200]));
  expect(refreshesSeen() - before.refreshes).toBe(2);
  expect(tokenCalls() - before.tokenCalls).toBe(2);
  expect((await summary()).refreshes - before.runRefreshes).toBe(2);
  expect((await summary()).status).toBe('connected');
});

test('reconcileOrders and paymentSucceeded against Xero: missed orders are invoiced there once; a payment is recorded on its invoice', async () => {
  if ((await summary().catch(() => undefined))?.status !== 'connected') {
    expect((await callback(await consent())).status).toBe(200);
  }
  const prefix = stack.config.temporal.taskQueuePrefix;
  const missed = missedOrders(2);
  const [first, second] = missed.orders as [string, string];
  const reconcile = () => stack.client.workflow.execute('reconcileOrders', missed.reconcileRun());
  const xero = () => stack.sandbox.data['accounting-xero'] as XeroData;
  const invoicesOf = (orderId: string) => xero().invoices.filter((i) => i.reference === orderId);

  expect(await reconcile()).toMatchObject({ checked: 2, gapsRepaired: 2, failed: [] });
  expect(invoicesOf(first)).toHaveLength(1);
  expect(invoicesOf(second)).toHaveLength(1);
  expect(await reconcile()).toMatchObject({ checked: 2, gapsRepaired: 0 });

  // The seeded order `first` costs 11 PLN: Stripe's 1100 grosze pay it in full.
  const eventId = uniqueId('evt_');
  const res = await post(
    `${stack.apiUrl}/webhooks/stripe`,
    signStripe(stack.config.sources.stripe.secrets[0]!, stripePaymentBody(eventId, first, { amount: 1100 })),
  );
  expect(res.status).toBe(202);
  const result = await stack.client.workflow.getHandle(`${prefix}stripe:${eventId}`).result();
  expect(result).toMatchObject({ orderId: first, outcome: 'paid' });
  expect(invoicesOf(first)[0]!.payments).toHaveLength(1);
  const logged = stack.sandbox.systems['accounting-xero']!.log.filter((r) => r.method === 'PUT');
  expect(logged.every((r) => (r.bodyProblems ?? []).length === 0)).toBe(true);
});

test('a daily budget running low is one alert per tenant and day, before any call fails', async () => {
  const other = await startStack({
    env: { ACCOUNTING_CONNECTOR: 'xero', ACCOUNTING_XERO_REDIRECT_URL: OPERATOR_CALLBACK },
  });
  try {
    const start = await fetch(`${other.adminUrl}/connections/accounting/authorize`, { redirect: 'manual' });
    const consented = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const back = new URL(consented.headers.get('location')!);
    expect((await fetch(`${other.adminUrl}/connections/accounting/callback${back.search}`)).status).toBe(200);
    // This organisation has 450 calls a day: under a tenth of Xero's 5,000 from the first call.
    await fetch(`${other.sandboxUrl}/__admin/accounting-xero/limits`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ day: 450 }),
    });
    const secret = other.config.sources.shop.secrets[0]!;
    for (let i = 0; i < 2; i += 1) {
      const eventId = uniqueId('evt_');
      const orderId = uniqueId('ORD-');
      expect(
        (await post(`${other.apiUrl}/webhooks/shop`, signShop(secret, eventId, orderPaidBody(eventId, orderId))))
          .status,
      ).toBe(202);
      await other.client.workflow.getHandle(`${other.config.temporal.taskQueuePrefix}shop:${eventId}`).result();
    }
    const budget = other.sandbox.data.alerts.received.filter((a) => a.payload.kind === 'budget');
    expect(budget).toHaveLength(1);
    expect(String(budget[0]!.payload.text)).toMatch(/daily call budget is running low/);
    expect(String(budget[0]!.payload.error)).toMatch(/has \d+ of its 5000 calls left today/);
  } finally {
    await other.stop();
  }
});

test("the order, payment and reconciliation flows get through a 429 on each of Xero's windows", async () => {
  if ((await summary().catch(() => undefined))?.status !== 'connected') {
    expect((await callback(await consent())).status).toBe(200);
  }
  const prefix = stack.config.temporal.taskQueuePrefix;
  const xero = () => stack.sandbox.data['accounting-xero'] as XeroData;
  const throttled = () => stack.sandbox.systems['accounting-xero']!.log.filter((r) => r.status === 429).length;
  /** The next call is answered 429 for `window`, as Xero does when it is spent; the flow must get past it. */
  async function spend(window: string): Promise<void> {
    const res = await fetch(`${stack.sandboxUrl}/__admin/accounting-xero/spent`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ window, retryAfterSeconds: 1 }),
    });
    expect(res.status).toBe(200);
  }
  const invoicesOf = xeroInvoicesOf;

  for (const window of ['concurrent', 'appminute']) {
    const before = throttled();
    await spend(window);
    const orderId = await orderPaidDone();
    expect(xero().spent?.count).toBe(0);
    expect(throttled() - before).toBe(1);
    expect(invoicesOf(orderId)).toHaveLength(1);
  }

  // The minute's 429 in a payment's flow: the payment is recorded once.
  const missed = missedOrders(1);
  const [paidOrder] = missed.orders as [string];
  const reconcile = () => stack.client.workflow.execute('reconcileOrders', missed.reconcileRun());
  // The day's 429 in the reconciliation's read: it waits the Retry-After, then repairs the order once.
  let before = throttled();
  await spend('day');
  expect(await reconcile()).toMatchObject({ checked: 1, gapsRepaired: 1, failed: [] });
  expect(throttled() - before).toBe(1);
  expect(invoicesOf(paidOrder)).toHaveLength(1);

  before = throttled();
  await spend('minute');
  const eventId = uniqueId('evt_');
  const res = await post(
    `${stack.apiUrl}/webhooks/stripe`,
    signStripe(stack.config.sources.stripe.secrets[0]!, stripePaymentBody(eventId, paidOrder, { amount: 1100 })),
  );
  expect(res.status).toBe(202);
  expect(await stack.client.workflow.getHandle(`${prefix}stripe:${eventId}`).result()).toMatchObject({
    orderId: paidOrder,
    outcome: 'paid',
  });
  expect(throttled() - before).toBe(1);
  expect(invoicesOf(paidOrder)[0]!.payments).toHaveLength(1);
});

test("npm start authorises a connection whose provider is the sandbox's stand-in, at every start; a real provider's is left to a person", async () => {
  const handle = stack.client.workflow.getHandle(workflowId());
  await handle.terminate('the next test starts from no connection').catch(() => undefined);
  const deps = {
    config: stack.config,
    operatorUrl: stack.adminUrl,
    sandboxUrl: stack.sandboxUrl,
    logger: createLogger({ level: 'silent' }),
  };
  expect(await authoriseStandInConnections(deps)).toEqual([{ system: 'accounting', outcome: 'authorised' }]);
  expect(await summary()).toMatchObject({ status: 'connected' });
  // The next start's stand-in has forgotten every token (it keeps them in memory), the connection has not: authorised
  // again, it holds a token set this stand-in knows.
  const identity = (stack.sandbox.data['accounting-xero'] as XeroData).identity;
  identity.accessTokens.clear();
  identity.refreshTokens.clear();
  expect(await authoriseStandInConnections(deps)).toEqual([{ system: 'accounting', outcome: 'authorised' }]);
  expect(await summary()).toMatchObject({ status: 'connected', refreshes: 0 });

  // An order paid now is invoiced in the stand-in, as `npm run send-sample` is after `npm start`.
  expect(xeroInvoicesOf(await orderPaidDone())).toHaveLength(1);

  const accounting = stack.config.systems.accounting;
  const real = {
    ...stack.config,
    systems: {
      ...stack.config.systems,
      accounting: {
        ...accounting,
        connector: {
          ...accounting.connector,
          settings: {
            ...accounting.connector.settings,
            AUTHORIZE_URL: 'https://login.xero.com/identity/connect/authorize',
          },
        },
      },
    },
  };
  const before = (await handle.describe()).runId;
  expect(await authoriseStandInConnections({ ...deps, config: real })).toEqual([
    { system: 'accounting', outcome: 'not a stand-in' },
  ]);
  expect((await handle.describe()).runId).toBe(before);
});

test('with the day budget short, a scheduled reconciliation yields to event flows, which go on', async () => {
  if ((await summary().catch(() => undefined))?.status !== 'connected') {
    expect((await callback(await consent())).status).toBe(200);
  }
  const xeroLog = () => stack.sandbox.systems['accounting-xero']!.log.filter((r) => r.path.includes('/api.xro/'));
  // What Xero says is left today, asked as the connector asks.
  const { accessToken, tenantId } = await connections().token('accounting');
  const asked = await fetch(`${stack.sandboxUrl}/accounting-xero/api.xro/2.0/Invoices?page=1`, {
    headers: { authorization: `Bearer ${accessToken}`, 'xero-tenant-id': tenantId, accept: 'application/json' },
  });
  expect(asked.status).toBe(200);
  const left = Number(asked.headers.get('X-DayLimit-Remaining'));
  expect(left).toBeGreaterThan(400);
  // Calls made elsewhere today leave 300: under the 500 kept for event flows.
  const used = await fetch(`${stack.sandboxUrl}/__admin/accounting-xero/used`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ window: 'day', count: left - 1 - 300 }),
  });
  expect(used.status).toBe(200);

  // An event flow goes on; its answers tell the gate what is left.
  expect(xeroInvoicesOf(await orderPaidDone())).toHaveLength(1);

  // The scheduled reconciliation does not call Xero: its attempt ends saying why, and when it may go.
  const missed = missedOrders(1);
  const before = xeroLog().length;
  const reconcile = await stack.client.workflow.start('reconcileOrders', missed.reconcileRun());
  try {
    const failure = await eventually(async () => {
      const pending = (await reconcile.describe()).raw.pendingActivities ?? [];
      const read = pending.find((a) => a.activityType?.name === 'findUninvoicedOrders');
      return read ? failureMessage(stack.client, read.lastFailure) : undefined;
    });
    expect(failure).toMatch(
      /accounting is throttled here: next turn in \d+ ms \(the tenant's 5,000 calls a day: about \d+ left, kept for event flows/,
    );
    expect(xeroLog().length).toBe(before);

    // Event flows still get the rest.
    expect(xeroInvoicesOf(await orderPaidDone())).toHaveLength(1);
  } finally {
    await reconcile.terminate('the test has seen it yield');
  }
});

test('an organisation that disconnects the app breaks the connection: one alert, a red run, the order held; authorising again lets it finish', async () => {
  if ((await summary().catch(() => undefined))?.status !== 'connected') {
    expect((await callback(await consent())).status).toBe(200);
  }
  const prefix = stack.config.temporal.taskQueuePrefix;
  const connectionAlerts = () =>
    stack.sandbox.data.alerts.received.filter(
      (a) => a.payload.kind === 'failed' && a.payload.workflow_type === 'connection',
    );
  const alertsBefore = connectionAlerts().length;
  const run = stack.client.workflow.getHandle(workflowId());
  const runId = (await run.describe()).runId;
  // The organisation disconnects the app in Xero: its refresh token still works, its calls answer 403.
  const gone = await fetch(`${stack.sandboxUrl}/__admin/accounting-xero/disconnect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(await gone.json()).toMatchObject({ disconnected: expect.any(Number) });

  const secret = stack.config.sources.shop.secrets[0]!;
  const eventId = uniqueId('evt_');
  const orderId = uniqueId('ORD-');
  expect(
    (await post(`${stack.apiUrl}/webhooks/shop`, signShop(secret, eventId, orderPaidBody(eventId, orderId)))).status,
  ).toBe(202);
  const order = stack.client.workflow.getHandle(`${prefix}shop:${eventId}`);

  // The connection run fails, red, with the reason; one alert names it and the re-authorise link.
  await expect(stack.client.workflow.getHandle(workflowId(), runId).result()).rejects.toThrow();
  expect((await stack.client.workflow.getHandle(workflowId(), runId).describe()).status.name).toBe('FAILED');
  const alerts = connectionAlerts().slice(alertsBefore);
  expect(alerts).toHaveLength(1);
  expect(String(alerts[0]!.payload.text)).toMatch(/is no longer connected to the app.*re-authorise at http/s);

  // The order is held, not failed: its invoice waits for the connection.
  const held = await eventually(async () => {
    const [pending] = (await order.describe()).raw.pendingActivities ?? [];
    const message = await failureMessage(stack.client, pending?.lastFailure);
    return message?.includes('connection is broken') ? pending : undefined;
  });
  expect(held.activityType?.name).toBe('createInvoice');

  expect((await callback(await consent())).status).toBe(200);
  await stack.client.connection.workflowService.resetActivity?.({
    namespace: stack.config.temporal.namespace,
    execution: { workflowId: order.workflowId },
    id: held.activityId!,
  });
  await order.result();
  expect(
    (stack.sandbox.data['accounting-xero'] as XeroData).invoices.filter((i) => i.reference === orderId),
  ).toHaveLength(1);
  expect(connectionAlerts().slice(alertsBefore)).toHaveLength(1);
});
