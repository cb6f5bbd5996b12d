import { type Stack, startStack, uniqueId } from '../../helpers/stack';
import { apiClients, call } from './helpers';

// Who may call /api/v1, how often, and with what: every refusal answers before anything is started.
describe('/api/v1 callers and input', () => {
  let stack: Stack;
  const clients = apiClients([
    { name: 'erp', scopes: ['orders:write'], ratePerSecond: 1000 },
    { name: 'reader', scopes: ['contacts:read'], ratePerSecond: 1000 },
    { name: 'slow', scopes: ['orders:write'], ratePerSecond: 2 },
  ]);
  const body = { total: 10, currency: 'PLN', customerEmail: 'ada@example.com' };
  const invoice = (options: Parameters<typeof call>[2], orderId = uniqueId('ORD-')) =>
    call(stack.apiUrl, `/api/v1/orders/${orderId}/invoice`, { body, ...options });

  async function executionsOf(client: string, key: string): Promise<number> {
    let n = 0;
    for await (const _ of stack.client.workflow.list({
      query: `WorkflowId = "${stack.config.temporal.taskQueuePrefix}api:${client}:${key}"`,
    }))
      n += 1;
    return n;
  }

  beforeAll(async () => {
    // No workers: nothing here may get as far as starting a workflow.
    stack = await startStack({ workers: false, env: { API_CLIENTS: clients.env, API_MAX_BODY_BYTES: '1024' } });
  });
  afterAll(() => stack.stop());

  test('no key or an unknown key is 401 with WWW-Authenticate, and nothing starts', async () => {
    const key = uniqueId('k-');
    const none = await invoice({ idempotencyKey: key });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await invoice({ idempotencyKey: key, key: `${clients.keys.erp}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'unauthorized' });
    expect(await executionsOf('erp', key)).toBe(0);
  });

  test('a client without the route’s scope is 403 naming the scope', async () => {
    const key = uniqueId('k-');
    const answer = await invoice({ idempotencyKey: key, key: clients.keys.reader });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'forbidden', scope: 'orders:write' });
    expect(await executionsOf('reader', key)).toBe(0);
  });

  test('over its rate, a client gets 429 with Retry-After and nothing starts; other clients are not slowed', async () => {
    const keys = [uniqueId('k-'), uniqueId('k-'), uniqueId('k-')];
    // Invalid bodies: the first two pass the limiter and stop at validation (400), so no workflow is involved.
    const answers = [];
    for (const k of keys) answers.push(await invoice({ idempotencyKey: k, key: clients.keys.slow, body: {} }));
    expect(answers.map((a) => a.status)).toEqual([400, 400, 429]);
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answers[2]!.body).toMatchObject({ error: 'rate_limited' });
    expect((await invoice({ idempotencyKey: keys[2], key: clients.keys.erp, body: {} })).status).toBe(400);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a missing Idempotency-Key', {}, 'Idempotency-Key'],
    ['an empty Idempotency-Key', { idempotencyKey: '' }, 'Idempotency-Key'],
    ['an Idempotency-Key of 256 characters', { idempotencyKey: 'k'.repeat(256) }, 'Idempotency-Key'],
    ['an Idempotency-Key outside printable ASCII', { idempotencyKey: 'clé' }, 'Idempotency-Key'],
    ['a currency in lower case', { idempotencyKey: 'x', body: { ...body, currency: 'pln' } }, 'currency'],
    ['a missing total', { idempotencyKey: 'x', body: { currency: 'PLN', customerEmail: 'a@b.co' } }, 'total'],
    ['an unknown field', { idempotencyKey: 'x', body: { ...body, discount: 5 } }, 'discount'],
  ])('%s is 400 naming the field', async (_name, options, field) => {
    const answer = await invoice({ key: clients.keys.erp, ...options });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ field });
  });

  test('an order id over 128 characters is 400 naming orderId', async () => {
    const answer = await invoice({ key: clients.keys.erp, idempotencyKey: 'x' }, 'O'.repeat(129));
    expect(answer).toMatchObject({ status: 400, body: { field: 'orderId' } });
  });

  test('a body over API_MAX_BODY_BYTES is 413 and another content type 415, and nothing starts', async () => {
    const key = uniqueId('k-');
    const big = await invoice({ key: clients.keys.erp, idempotencyKey: key, body: { ...body, pad: 'x'.repeat(2000) } });
    expect(big.status).toBe(413);
    const text = await invoice({
      key: clients.keys.erp,
      idempotencyKey: key,
      body: JSON.stringify(body),
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(await executionsOf('erp', key)).toBe(0);
  });
});
