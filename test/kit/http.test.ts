import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { durationMs } from '../../src/temporal/time';
import { activityEnvironment } from '../helpers/activity-environment';
import { createDownstreamClient, downstreamDetails, FailureType, parseRetryAfter } from '../../src/kit/http/index';
import { ThrottleGate } from '../../src/kit/throttle';
import { closeServer } from '../helpers/stack';

// The classification of every kind of answer into Temporal failures, against a real local HTTP server whose
// answer each test chooses: /answer?status=…&retryAfter=…&delayMs=…&body=…
describe('the downstream HTTP client layer', () => {
  let server: Server;
  let base: string;
  let hits = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits += 1;
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const status = Number(q.get('status') ?? 200);
      const headers: Record<string, string> = { 'content-type': q.get('type') ?? 'application/json' };
      if (q.get('retryAfter')) headers['retry-after'] = q.get('retryAfter')!;
      // echo=html|json: answer with the request's own path and query, as many servers' error pages do.
      const echo = q.get('echo');
      if (echo === 'html') headers['content-type'] = 'text/html';
      const body =
        echo === 'html'
          ? `<!DOCTYPE html><pre>Cannot ${req.method} ${req.url}</pre>`
          : echo === 'json'
            ? JSON.stringify({ error: 'no_such_hook', message: `no hook at ${decodeURIComponent(req.url ?? '')}` })
            : (q.get('body') ?? JSON.stringify({ message: `answered ${status}`, id: 'obj_1' }));
      setTimeout(() => res.writeHead(status, headers).end(body), Number(q.get('delayMs') ?? 0));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));

  const client = (opts: Partial<Parameters<typeof createDownstreamClient>[1]> = {}) =>
    createDownstreamClient(
      { name: 'accounting', baseUrl: base, apiKey: 'k_test_123456' },
      { timeoutMs: 2000, ...opts },
    );

  async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  const answer = (status: number, extra: Record<string, string> = {}) => ({
    query: { status, ...extra },
    idempotencyKey: 'step:ORD-1',
  });

  test('a 2xx answer is returned with its parsed body', async () => {
    const res = await client().request<{ id: string }>('POST', '/answer', answer(201));
    expect(res).toEqual({ status: 201, body: { id: 'obj_1', message: 'answered 201' }, replayed: false });
  });

  test.each([400, 401, 403, 404, 422])(
    'a %i is non-retryable, typed DownstreamRejected, and carries the response message',
    async (status) => {
      const f = await failureOf(client().request('POST', '/answer', answer(status)));
      expect(f.nonRetryable).toBe(true);
      expect(f.type).toBe(FailureType.rejected);
      expect(f.message).toContain(`answered ${status}: answered ${status}`);
      expect(downstreamDetails(f)).toMatchObject({
        system: 'accounting',
        status,
        responseMessage: `answered ${status}`,
      });
    },
  );

  test.each([408, 500, 502, 503, 504])('a %i (without Retry-After) is retryable under the policy', async (status) => {
    const f = await failureOf(client().request('POST', '/answer', answer(status)));
    expect(f.nonRetryable).toBe(false);
    expect(f.type).toBe(FailureType.unavailable);
    expect(f.nextRetryDelay).toBeUndefined();
    expect(downstreamDetails(f)?.status).toBe(status);
  });

  test('a 429 with Retry-After in seconds asks for exactly that delay and closes the gate of that system', async () => {
    const gate = new ThrottleGate();
    const f = await failureOf(client({ gate }).request('POST', '/answer', answer(429, { retryAfter: '3' })));
    expect(f.type).toBe(FailureType.throttled);
    expect(f.nonRetryable).toBe(false);
    expect(durationMs(f.nextRetryDelay!)).toBe(3000);
    expect(gate.remainingMs('accounting')).toBeGreaterThan(2000);
    expect(gate.remainingMs('email-platform')).toBe(0);
  });

  test('a 503 with Retry-After as an HTTP-date is a throttle until that date', async () => {
    const at = new Date(Date.now() + 20_000).toUTCString();
    const f = await failureOf(client().request('GET', '/answer', { query: { status: 503, retryAfter: at } }));
    expect(f.type).toBe(FailureType.throttled);
    const delay = durationMs(f.nextRetryDelay!);
    expect(delay).toBeGreaterThan(17_000);
    expect(delay).toBeLessThanOrEqual(20_000);
  });

  test("a server's Retry-After is capped by the running activity's maximum interval", async () => {
    const env = activityEnvironment({ retryPolicy: { maximumInterval: 2000 } });
    const f = await failureOf(env.run(() => client().request('POST', '/answer', answer(429, { retryAfter: '3600' }))));
    expect(durationMs(f.nextRetryDelay!)).toBe(2000);
  });

  test("the gate stays closed for the server's whole Retry-After, however short the activity's maximum interval", async () => {
    const gate = new ThrottleGate();
    const env = activityEnvironment({ retryPolicy: { maximumInterval: 2000 } });
    const f = await failureOf(
      env.run(() => client({ gate }).request('POST', '/answer', answer(429, { retryAfter: '30' }))),
    );
    expect(durationMs(f.nextRetryDelay!)).toBe(2000);
    expect(gate.remainingMs('accounting')).toBeGreaterThan(29_000);
    // Its retry, 2 s later, is held back without a call for what is left of the 30 s.
    const before = hits;
    const retry = await failureOf(env.run(() => client({ gate }).request('POST', '/answer', answer(201))));
    expect(hits).toBe(before);
    expect(retry.type).toBe(FailureType.throttled);
  });

  test('a Retry-After beyond 10 minutes closes the gate for 10 minutes, after which one call asks again', async () => {
    const gate = new ThrottleGate();
    await failureOf(client({ gate }).request('GET', '/answer', { query: { status: 429, retryAfter: '86400' } }));
    expect(gate.remainingMs('accounting')).toBeGreaterThan(599_000);
    expect(gate.remainingMs('accounting')).toBeLessThanOrEqual(600_000);
  });

  test('a 429 without Retry-After closes the gate for 1 s, doubling up to 30 s while refused, 1 s again after an answer', async () => {
    let now = Date.now();
    const gate = new ThrottleGate({ now: () => now });
    const c = client({ gate });
    const windows: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const f = await failureOf(c.request('GET', '/answer', { query: { status: 429 } }));
      delays.push(durationMs(f.nextRetryDelay!));
      windows.push(gate.remainingMs('accounting'));
      now += windows.at(-1)!;
    }
    expect(windows).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(delays).toEqual(windows);
    expect((await c.request('GET', '/answer', { query: { status: 200 } })).status).toBe(200);
    await failureOf(c.request('GET', '/answer', { query: { status: 429 } }));
    expect(gate.remainingMs('accounting')).toBe(1000);
  });

  test('parseRetryAfter reads seconds and HTTP-dates and ignores garbage', () => {
    const now = Date.parse('2024-11-12T09:41:07Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 12 Nov 2024 09:41:37 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 12 Nov 2024 09:40:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  test('while the gate is closed for longer than the client may wait, the call fails without reaching the system', async () => {
    const gate = new ThrottleGate();
    gate.closeFor('accounting', 10_000);
    const before = hits;
    const f = await failureOf(client({ gate, maxGateWaitMs: 0 }).request('POST', '/answer', answer(201)));
    expect(hits).toBe(before);
    expect(f.type).toBe(FailureType.throttled);
    expect(durationMs(f.nextRetryDelay!)).toBeGreaterThan(9000);
  });

  test('a call slower than the timeout fails as a retryable DownstreamTimeout', async () => {
    const f = await failureOf(client({ timeoutMs: 100 }).request('GET', '/answer', { query: { delayMs: 1000 } }));
    expect(f.type).toBe(FailureType.timeout);
    expect(f.nonRetryable).toBe(false);
  });

  test('a refused connection is a retryable DownstreamNetworkError', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await closeServer(closed);
    const c = createDownstreamClient({ name: 'crm', baseUrl: `http://127.0.0.1:${port}` }, { timeoutMs: 2000 });
    const f = await failureOf(c.request('GET', '/anything'));
    expect(f.type).toBe(FailureType.network);
    expect(f.nonRetryable).toBe(false);
    expect(downstreamDetails(f)).toMatchObject({ system: 'crm', status: 0 });
  });

  test('a header value fetch refuses (a key outside Latin-1) is a non-retryable ProgrammingError and sends nothing', async () => {
    const before = hits;
    const f = await failureOf(client().request('POST', '/answer', { ...answer(201), idempotencyKey: 'invoice:№1001' }));
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
      type: FailureType.programming,
      nonRetryable: true,
    });
    expect(f.message).toMatch(/^accounting POST \/answer could not be sent \(TypeError: .*ByteString/);
    expect(hits).toBe(before);
  });

  test('an API key fetch refuses is a ProgrammingError that does not repeat the key', async () => {
    const broken = createDownstreamClient(
      { name: 'accounting', baseUrl: base, apiKey: 'k_secret\n_123' },
      { timeoutMs: 2000 },
    );
    const f = await failureOf(broken.request('GET', '/answer'));
    expect(f.type).toBe(FailureType.programming);
    expect(f.message).toMatch(/invalid header value/);
    expect(JSON.stringify({ message: f.message, details: f.details })).not.toContain('k_secret');
  });

  test("fetch's own 'fetch failed' with a network cause stays a retryable DownstreamNetworkError", async () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const failing = (async () => {
      throw new TypeError('fetch failed', { cause: reset });
    }) as typeof fetch;
    const f = await failureOf(client({ fetch: failing }).request('GET', '/answer'));
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: FailureType.network, nonRetryable: false });
    expect(f.message).toMatch(/read ECONNRESET/);
  });

  test('a 2xx with a broken JSON body is a retryable protocol error', async () => {
    const f = await failureOf(client().request('GET', '/answer', { query: { status: 200, body: '{"half' } }));
    expect(f.type).toBe(FailureType.protocol);
    expect(f.nonRetryable).toBe(false);
  });

  test('a 409 the caller accepts (idempotent create) is returned, not thrown', async () => {
    const res = await client().request('POST', '/answer', { ...answer(409), accept: [409] });
    expect(res.status).toBe(409);
  });

  test('a 422 idempotency_key_reused returns what onKeyReused reads; without it, or when it finds nothing, it stays a rejection', async () => {
    const reused = {
      query: { status: 422, body: JSON.stringify({ error: 'idempotency_key_reused', message: 'key used' }) },
      idempotencyKey: 'invoice:ORD-1',
      body: { order_id: 'ORD-1', customer_email: 'k.nowak@example.com' },
    };
    const existing = { id: 'inv_1', order_id: 'ORD-1', customer_email: 'K.Nowak@Example.COM' };
    const res = await client().request('POST', '/answer', { ...reused, onKeyReused: async () => existing });
    expect(res.body).toEqual(existing);
    for (const opts of [reused, { ...reused, onKeyReused: async () => undefined }]) {
      const f = await failureOf(client().request('POST', '/answer', opts));
      expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
        type: FailureType.rejected,
        nonRetryable: true,
      });
    }
    // Any other 422 is a rejection: the hook is not asked.
    let asked = 0;
    const other = { ...reused, query: { status: 422 }, onKeyReused: async () => (asked++, existing) };
    expect((await failureOf(client().request('POST', '/answer', other))).type).toBe(FailureType.rejected);
    expect(asked).toBe(0);
  });

  test('a mutation without an idempotency key is refused before any request', async () => {
    const before = hits;
    await expect(client().request('POST', '/answer')).rejects.toThrow(/needs an idempotency key/);
    expect(hits).toBe(before);
  });

  describe('a system whose URL is its secret (a Slack-style alert webhook)', () => {
    const TOKENS = ['T0SECRETTEAM', 'B0SECRETBOT', 'xoxSecretToken123', 'QuerySecret456'];
    const secretBase = () => `${base}/hooks/${TOKENS[0]}/${TOKENS[1]}/${TOKENS[2]}?token=${TOKENS[3]}`;
    const alerts = (opts: Partial<Parameters<typeof createDownstreamClient>[1]> = {}, baseUrl = secretBase()) =>
      createDownstreamClient({ name: 'alerts', baseUrl, secretUrl: true }, { timeoutMs: 2000, ...opts });

    /** Everything a failure carries into history, logs and the admin API: message, type, details, cause, stack. */
    function leaked(err: unknown): string[] {
      const f = err as ApplicationFailure;
      const text = JSON.stringify({ message: f.message, type: f.type, details: f.details, stack: f.stack });
      return TOKENS.filter((t) => text.includes(t));
    }

    async function errorOf(p: Promise<unknown>): Promise<unknown> {
      return p.then(
        () => {
          throw new Error('expected the call to fail');
        },
        (e: unknown) => e,
      );
    }

    test.each([
      ['a 404 echoing the path as HTML', 404, 'html', FailureType.rejected],
      ['a 404 echoing the path as JSON', 404, 'json', FailureType.rejected],
      ['a 500 echoing the path', 500, 'html', FailureType.unavailable],
      ['a 429 echoing the path', 429, 'json', FailureType.throttled],
      ['a 200 with broken JSON', 200, 'broken', FailureType.protocol],
    ])(
      'when it answers %s, the failure names the system and method but no part of the URL',
      async (_c, status, echo, type) => {
        const query = echo === 'broken' ? { status, body: '{"half' } : { status, echo, retryAfter: '1' };
        const err = await errorOf(alerts().request('POST', '', { query, idempotencyKey: 'alert:1' }));
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect((err as ApplicationFailure).type).toBe(type);
        expect((err as ApplicationFailure).message).toMatch(/^alerts POST /);
        expect(leaked(err)).toEqual([]);
        expect(downstreamDetails(err)).toMatchObject({ system: 'alerts', method: 'POST', status });
        expect(downstreamDetails(err)?.path).toBeUndefined();
      },
    );

    test('when it times out, is unreachable, or its gate is closed, the failure carries no part of the URL', async () => {
      const slow = await errorOf(
        alerts({ timeoutMs: 100 }).request('POST', '', { query: { delayMs: 1000 }, idempotencyKey: 'alert:2' }),
      );
      expect((slow as ApplicationFailure).type).toBe(FailureType.timeout);

      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await closeServer(closed);
      const down = await errorOf(
        alerts({}, secretBase().replace(base, `http://127.0.0.1:${port}`)).request('POST', '', {
          idempotencyKey: 'alert:3',
        }),
      );
      expect((down as ApplicationFailure).type).toBe(FailureType.network);

      const gate = new ThrottleGate();
      gate.closeFor('alerts', 10_000);
      const gated = await errorOf(alerts({ gate }).request('POST', '', { idempotencyKey: 'alert:4' }));
      expect((gated as ApplicationFailure).type).toBe(FailureType.throttled);

      const unkeyed = await errorOf(alerts().request('POST', ''));
      expect(String(unkeyed)).toMatch(/alerts: POST needs an idempotency key/);

      for (const err of [slow, down, gated, unkeyed]) expect(leaked(err)).toEqual([]);
    });

    test('without an API key the URL is taken to be the secret; a system with a key still names its path', async () => {
      const implicit = createDownstreamClient({ name: 'alerts', baseUrl: secretBase() }, { timeoutMs: 2000 });
      const err = await errorOf(
        implicit.request('POST', '', { query: { status: 404, echo: 'html' }, idempotencyKey: 'k' }),
      );
      expect(leaked(err)).toEqual([]);

      const keyed = await failureOf(client().request('POST', '/answer', answer(404)));
      expect(keyed.message).toContain('accounting POST /answer answered 404');
      expect(downstreamDetails(keyed)?.path).toBe('/answer');
    });
  });

  test('a call longer than the heartbeat interval heartbeats while it waits', async () => {
    const env = activityEnvironment({ heartbeatTimeoutMs: 400 });
    let beats = 0;
    env.on('heartbeat', () => (beats += 1));
    await env.run(() => client().request('GET', '/answer', { query: { delayMs: 700 } }));
    expect(beats).toBeGreaterThanOrEqual(3);
  });
});
