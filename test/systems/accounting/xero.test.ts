import { ApplicationFailure } from '@temporalio/common';
import { FailureType, INVOICE_CONFLICT } from '../../../src/contracts/failures';
import { loadConfig } from '../../../src/config/index';
import type { ConnectionToken, Connections } from '../../../src/kit/connections/types';
import { createDownstreamClient, downstreamDetails } from '../../../src/kit/http/index';
import { ThrottleGate } from '../../../src/kit/throttle';
import { Invoice } from 'xero-node';
import { createSandbox, sandboxKeys } from '../../../src/sandbox/server';
import type { CreatedInvoice, PaymentRecorded } from '../../../src/systems/accounting/activities';
import { createXeroActivities } from '../../../src/systems/accounting/xero/activities';
import { xeroIdempotencyKey } from '../../../src/systems/accounting/xero/mapping';
import { XERO_LIMITS } from '../../../src/systems/accounting/xero/limits';
import { TOKEN_REJECTED } from '../../../src/systems/accounting/xero/transport';
import { activityEnvironment } from '../../helpers/activity-environment';
import { closeServer, uniqueId } from '../../helpers/stack';
import { connect, tokenRequest } from '../../helpers/xero';

// The xero connector's activities against the sandbox's Xero stand-in, as the OAuth connection `accounting` (a fake
// of src/kit/connections that consents once through the stand-in's identity server and refreshes when told).
describe('the xero connector against the Xero stand-in', () => {
  const sandbox = createSandbox(sandboxKeys(loadConfig({ NODE_ENV: 'test' })));
  let url: string;
  let base: string;
  let close: () => Promise<void>;
  let activities: ReturnType<typeof createXeroActivities>;

  /** The fake connection: one token set, refreshed on `rejected`; `tenantOverride` sends another tenant id. */
  const connection = {
    token: undefined as ConnectionToken | undefined,
    refresh: '',
    tenantOverride: undefined as string | undefined,
    rejectedWith: [] as string[],
    tenantRefusedWith: [] as string[],
  };
  const connections: Connections = {
    async token() {
      const t = connection.token!;
      return connection.tenantOverride ? { ...t, tenantId: connection.tenantOverride } : t;
    },
    async rejected(_system, accessToken) {
      connection.rejectedWith.push(accessToken);
      const res = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: connection.refresh });
      connection.refresh = res.body.refresh_token;
      connection.token = { ...connection.token!, accessToken: res.body.access_token };
    },
    async tenantRefused(_system, accessToken) {
      connection.tenantRefusedWith.push(accessToken);
    },
  };

  beforeAll(async () => {
    const started = await sandbox.listen(0);
    url = started.url;
    base = `${url}/accounting-xero`;
    close = () => closeServer(started.server);
    const client = createDownstreamClient(
      { name: 'accounting', baseUrl: `${url}/accounting`, apiKey: 'the-api-connectors-key' },
      { timeoutMs: 10_000 },
    );
    activities = createXeroActivities({
      client,
      settings: { API_URL: base, SALES_ACCOUNT_CODE: '200', PAYMENT_ACCOUNT_CODE: '090' },
      connections,
      temporalUiUrl: 'http://localhost:8233',
      namespace: 'default',
    }) as ReturnType<typeof createXeroActivities>;
  });
  afterAll(() => close());
  beforeEach(async () => {
    await fetch(`${url}/__admin/reset`, { method: 'POST' });
    const { tokens, tenantId } = await connect(base);
    connection.token = {
      accessToken: tokens.access_token,
      tenantId,
      expiresAt: new Date(Date.now() + 1800_000).toISOString(),
    };
    connection.refresh = tokens.refresh_token;
    connection.tenantOverride = undefined;
    connection.rejectedWith = [];
    connection.tenantRefusedWith = [];
  });

  const xero = () => sandbox.data['accounting-xero'];
  const log = () => sandbox.systems['accounting-xero'].log.filter((r) => r.path.startsWith('/api.xro'));
  const admin = (path: string, body: unknown, method = 'POST') =>
    fetch(`${url}/__admin/accounting-xero/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const run = <T>(fn: (input: never) => Promise<unknown>, input: unknown) =>
    activityEnvironment().run(fn as (i: unknown) => Promise<T>, input) as Promise<T>;
  const createInvoice = (input: unknown) => run<CreatedInvoice>(activities.createInvoice!, input);
  const markPaid = (input: unknown) => run<PaymentRecorded>(activities.markInvoicePaid!, input);
  const order = (overrides: Record<string, unknown> = {}) => ({
    orderId: uniqueId('ORD-'),
    total: 120.5,
    currency: 'PLN',
    customerEmail: 'K.Nowak@example.com',
    ...overrides,
  });
  async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }

  afterEach(() => {
    // Every body the connector sent passed the check by xero-node's own models.
    const checked = log().filter((r) => r.bodyProblems !== undefined);
    for (const r of checked) expect({ path: r.path, problems: r.bodyProblems }).toEqual({ path: r.path, problems: [] });
  });

  test('creates an AUTHORISED ACCREC invoice; a retry after the key is forgotten finds it by Reference', async () => {
    const input = order({ orderId: `ORD-"quoted"\\-${uniqueId('')}` });
    const first = await createInvoice(input);
    expect(first).toMatchObject({
      order_id: input.orderId,
      total: 120.5,
      currency: 'PLN',
      customer_email: 'K.Nowak@example.com',
      status: 'open',
      existedBefore: false,
    });
    const [stored] = xero().invoices;
    expect(stored).toMatchObject({ type: 'ACCREC', status: 'AUTHORISED', reference: input.orderId });
    expect(stored!.lineItems![0]).toMatchObject({ unitAmount: 120.5, accountCode: '200', quantity: 1 });
    const put = log().find((r) => r.method === 'PUT')!;
    expect(put.bodyProblems).toEqual([]);
    expect(put.idempotencyKey).toBe(`invoice:${input.orderId.replace(/\\/g, '\\')}`);

    // Xero's idempotency window has passed: the retry looks the invoice up by Reference and makes no second one.
    await admin('forget-keys', {});
    const again = await createInvoice(input);
    expect(again).toEqual({ ...first, existedBefore: true });
    expect(xero().invoices).toHaveLength(1);
    expect(log().filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  test('an order invoiced with another total fails InvoiceConflict naming the field, changing nothing', async () => {
    const input = order();
    await createInvoice(input);
    const failure = await failureOf(createInvoice({ ...input, total: 99 }));
    expect(failure.type).toBe(INVOICE_CONFLICT);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details?.[0]).toMatchObject({ orderId: input.orderId, fields: ['total'] });
    // The recipient is compared as we normalise addresses, read from the contact a list answer carries.
    const other = await failureOf(createInvoice({ ...input, customerEmail: 'someone@example.com' }));
    expect(other.details?.[0]).toMatchObject({ fields: ['customerEmail'] });
    expect((await createInvoice({ ...input, customerEmail: ' k.nowak@EXAMPLE.com' })).existedBefore).toBe(true);
    expect(xero().invoices).toHaveLength(1);
  });

  test('JPY has no minor unit: the line is sent in whole yen, and 1500.4 JPY is the same invoice as 1500', async () => {
    const input = order({ total: 1500.4, currency: 'JPY' });
    const invoice = await createInvoice(input);
    expect(invoice).toMatchObject({ total: 1500, currency: 'JPY' });
    expect(xero().invoices[0]!.lineItems![0]!.unitAmount).toBe(1500);
    expect((await createInvoice({ ...input, total: 1500 })).existedBefore).toBe(true);
  });

  test('payments: partial, then the rest; the same payment again sends nothing; more than outstanding is refused', async () => {
    const input = order({ total: 100 });
    await createInvoice(input);
    const pay = (paymentId: string, amount: number, currency = 'PLN') =>
      markPaid({ orderId: input.orderId, paymentId, amount, currency });
    const partial = await pay('pay-1', 40);
    expect(partial.check).toEqual({ outcome: 'partial', outstanding: 60, problems: [] });
    expect((await pay('pay-1', 40)).check.outcome).toBe('partial');
    expect(xero().invoices[0]!.payments).toHaveLength(1);
    const over = await pay('pay-2', 61);
    expect(over.check.outcome).toBe('needs-review');
    expect(over.check.problems[0]).toMatch(/more than the 60 PLN outstanding/);
    const currency = await pay('pay-3', 60, 'EUR');
    expect(currency.check.outcome).toBe('needs-review');
    const paid = await pay('pay-4', 60);
    expect(paid).toMatchObject({ status: 'paid', check: { outcome: 'paid', outstanding: 0 } });
    expect(
      log()
        .filter((r) => r.path === '/api.xro/2.0/Payments')
        .map((r) => r.idempotencyKey),
    ).toEqual(['invoice-payment:pay-1', 'invoice-payment:pay-4']);
  });

  test('findUninvoicedOrders asks by Reference and pages', async () => {
    const a = order();
    const b = order({ orderId: `ORD-"b"-${uniqueId('')}` });
    await createInvoice(a);
    await createInvoice(b);
    const missing = uniqueId('ORD-');
    const found = await run<string[]>(activities.findUninvoicedOrders!, { orderIds: [a.orderId, missing, b.orderId] });
    expect(found).toEqual([missing]);
  });

  /** The connector's activities with a worker's gate holding Xero's declared windows. */
  function gatedActivities(isBackground?: (workflowType: string) => boolean) {
    const gate = new ThrottleGate({});
    gate.setLimits('accounting', XERO_LIMITS);
    const client = createDownstreamClient(
      { name: 'accounting', baseUrl: `${url}/accounting` },
      { timeoutMs: 10_000, gate, isBackground },
    );
    const gated = createXeroActivities({
      client,
      settings: { API_URL: base },
      connections,
      temporalUiUrl: 'http://localhost:8233',
      namespace: 'default',
    });
    return { gate, gated };
  }
  const statuses = () => log().map((r) => r.status);

  test("Xero's minute by its X-MinLimit-Remaining: the 61st call of a minute waits, without a call or a 429", async () => {
    const { gated } = gatedActivities();
    for (let i = 0; i < 60; i++) await run(gated.findUninvoicedOrders!, { orderIds: [`ORD-minute-${i}`] });
    const held = await failureOf(run(gated.findUninvoicedOrders!, { orderIds: ['ORD-minute-61'] }));
    expect(held.type).toBe(FailureType.throttled);
    expect(held.message).toMatch(/next turn in \d+ ms \(the tenant's 60 calls a minute: none left\)/);
    expect(downstreamDetails(held)!.retryAfterMs).toBeGreaterThan(50_000);
    expect(statuses()).toEqual(Array.from({ length: 60 }, () => 200));
  });

  test("a 429 honours Retry-After and names Xero's window", async () => {
    await admin('limits', { minute: 1 }, 'PUT');
    const failure = await failureOf(createInvoice(order()));
    expect(failure.type).toBe(FailureType.throttled);
    expect(failure.message).toMatch(/answered 429/);
    expect(failure.nextRetryDelay).toBeDefined();
    // Through a gate that knows Xero's windows, the failure says which one the 429 hit.
    const { gated } = gatedActivities();
    const named = await failureOf(run(gated.createInvoice!, order()));
    expect(named.message).toMatch(/answered 429.*\(X-Rate-Limit-Problem: minute, the tenant's 60 calls a minute\)/);
  });

  test("Xero's 5 calls in flight: 8 reads at once never have a sixth in flight, where ungated they meet 429s", async () => {
    const setLatency = (latencyMs: number) =>
      fetch(`${url}/__admin/accounting-xero/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ latencyMs }),
      });
    await setLatency(300);
    const { gated } = gatedActivities();
    const reads = Array.from({ length: 8 }, (_, i) =>
      run<string[]>(gated.findUninvoicedOrders!, { orderIds: [`ORD-inflight-${i}`] }),
    );
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 8 }, (_, i) => [`ORD-inflight-${i}`]));
    expect(statuses()).toEqual(Array.from({ length: 8 }, () => 200));
    // The same reads without the gate's windows: the stand-in refuses the sixth in flight.
    const ungated = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => run(activities.findUninvoicedOrders!, { orderIds: [`ORD-u-${i}`] })),
    );
    const refused = ungated.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(refused.length).toBeGreaterThan(0);
    expect(String(refused[0]!.reason.message)).toMatch(/answered 429/);
    await setLatency(0);
  });

  test("a day's last 500 calls are kept for event flows: a scheduled sync's read waits, an order's invoice goes", async () => {
    await admin('limits', { day: 520 }, 'PUT');
    const { gated } = gatedActivities((type) => type === 'reconcileOrders');
    const asFlow = (workflowType: string) =>
      activityEnvironment({ workflowType } as never).run(
        gated.findUninvoicedOrders! as (i: unknown) => Promise<string[]>,
        { orderIds: ['ORD-reserve'] },
      );
    // 30 calls leave 490 of the day's 520: below the reserve of 500.
    for (let i = 0; i < 30; i++) await asFlow('orderPaid');
    const calls = log().length;
    const yielded = await failureOf(asFlow('reconcileOrders'));
    expect(yielded.type).toBe(FailureType.throttled);
    expect(yielded.message).toMatch(/the tenant's 5,000 calls a day: about \d+ left, kept for event flows/);
    expect(log()).toHaveLength(calls);
    // An event flow's call still goes out.
    expect(await asFlow('orderPaid')).toEqual(['ORD-reserve']);
    expect(log()).toHaveLength(calls + 1);
  });

  test("after a 429 the gate holds every caller of accounting for Xero's Retry-After, without calling", async () => {
    const gate = new ThrottleGate({});
    const gated = createXeroActivities({
      client: createDownstreamClient({ name: 'accounting', baseUrl: `${url}/accounting` }, { timeoutMs: 10_000, gate }),
      settings: { API_URL: base },
      connections,
      temporalUiUrl: 'http://localhost:8233',
      namespace: 'default',
    });
    await admin('limits', { minute: 1 }, 'PUT');
    const first = await failureOf(run(gated.createInvoice!, order()));
    expect(first.message).toMatch(/answered 429/);
    const window = downstreamDetails(first)!.retryAfterMs!;
    expect(window).toBeGreaterThan(55_000);
    const calls = log().length;
    const held = await failureOf(run(gated.createInvoice!, order()));
    expect(held.type).toBe(FailureType.throttled);
    expect(held.message).not.toMatch(/answered/);
    expect(log()).toHaveLength(calls);
  });

  test('findUninvoicedOrders asks 25 references at a time', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `ORD-batch-${i}-${uniqueId('')}`);
    for (const id of ids.slice(0, 28)) {
      xero().invoices.push(
        Object.assign(new Invoice(), { invoiceID: id, reference: id, status: Invoice.StatusEnum.AUTHORISED }),
      );
    }
    const found = await run<string[]>(activities.findUninvoicedOrders!, { orderIds: ids });
    expect(found).toEqual(ids.slice(28));
    expect(log().filter((r) => r.method === 'GET')).toHaveLength(2);
  });

  test('the tenant id goes with every call: a tenant the token does not reach is refused 403', async () => {
    connection.tenantOverride = '00000000-0000-0000-0000-000000000000';
    const failure = await failureOf(createInvoice(order()));
    expect(failure.type).toBe(FailureType.rejected);
    expect(failure.message).toMatch(/answered 403: AuthorizationUnsuccessful/);
    // The connection is told, to check whether the organisation disconnected the app (it did not here).
    expect(connection.tenantRefusedWith).toEqual([connection.token!.accessToken]);
  });

  test('a 401 tells the connection the token was rejected and fails retryably; the retry uses the new token', async () => {
    const old = connection.token!.accessToken;
    xero().identity.clockOffsetMs = 31 * 60 * 1000;
    const input = order();
    const failure = await failureOf(createInvoice(input));
    expect(failure.type).toBe(TOKEN_REJECTED);
    expect(failure.nonRetryable).toBeFalsy();
    expect(connection.rejectedWith).toEqual([old]);
    expect((await createInvoice(input)).existedBefore).toBe(false);
  });

  test('the stand-in refuses a body the models do not have (the check above can fail)', async () => {
    const res = await fetch(`${base}/api.xro/2.0/Payments`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${connection.token!.accessToken}`,
        'xero-tenant-id': connection.token!.tenantId,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        Invoice: { InvoiceID: 'x' },
        Account: { Code: '090' },
        Amount: 1,
        Date: '2026-01-01',
        Currency: 'PLN',
      }),
    });
    expect(res.status).toBe(400);
    const entry = log().at(-1)!;
    expect(entry.bodyProblems).toEqual(['Payment.Currency is not a property of Payment']);
    entry.bodyProblems = undefined; // hand-made, not the connector's
  });

  test('keys longer than 128 characters are hashed to fit', () => {
    const long = `invoice:${'x'.repeat(300)}`;
    const key = xeroIdempotencyKey(long);
    expect(key).toHaveLength(128);
    expect(xeroIdempotencyKey(`${long}y`)).not.toBe(key);
    expect(xeroIdempotencyKey('invoice:ORD-1')).toBe('invoice:ORD-1');
  });
});
