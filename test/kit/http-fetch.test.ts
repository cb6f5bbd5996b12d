import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../src/contracts/failures';
import { clientFailureOf, createDownstreamClient } from '../../src/kit/http/index';

// client.fetch: a fetch for vendor SDKs whose requests the client layer sends (kit/http/fetch.ts).

describe('client.fetch', () => {
  const sent: Array<{ url: string; init: RequestInit }> = [];
  const answer = (status: number, body: unknown) => {
    const transport: typeof fetch = (input, init) => {
      sent.push({ url: String(input), init: init ?? {} });
      return Promise.resolve(
        new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
      );
    };
    return createDownstreamClient(
      { name: 'vendor', baseUrl: 'http://127.0.0.1:1/vendor', apiKey: 'our-key' },
      { timeoutMs: 1000, fetch: transport },
    );
  };
  beforeEach(() => (sent.length = 0));

  test("rebases the SDK's path and query onto the base URL, keeps its headers, and sends our key instead of its", async () => {
    const client = answer(200, { id: 'x' });
    const res = await client.fetch('https://api.vendor.example/v1/things?a[b]=1&c=2', {
      headers: { Authorization: 'Bearer sdk-key', 'Stripe-Version': '2026-10-28.endive', 'User-Agent': 'sdk/1' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'x' });
    expect(sent[0]!.url).toBe('http://127.0.0.1:1/vendor/v1/things?a[b]=1&c=2');
    const headers = sent[0]!.init.headers as Record<string, string>;
    expect(headers.authorization).toBe('Bearer our-key');
    expect(headers['stripe-version']).toBe('2026-10-28.endive');
    expect(headers['user-agent']).toBe('sdk/1');
  });

  test('an answer the caller did not accept is thrown as our failure, with a nested {error:{message}} as its message', async () => {
    const client = answer(400, { error: { type: 'invalid_request_error', message: 'No such thing' } });
    const err = await client.fetch('https://x.example/v1/things').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(FailureType.rejected);
    expect((err as ApplicationFailure).message).toMatch(/answered 400: No such thing/);
    // As an SDK wraps it (Stripe's connection error keeps it as `detail`).
    expect(clientFailureOf({ detail: err })).toBe(err);
    expect(clientFailureOf(new Error('other'))).toBeUndefined();
  });

  test('a body is refused before anything is sent: reads only', async () => {
    const client = answer(200, {});
    const err = await client.fetch('https://x.example/v1/things', { method: 'POST', body: 'a=1' }).catch((e) => e);
    expect((err as ApplicationFailure).type).toBe(FailureType.programming);
    expect(sent).toEqual([]);
  });
});
