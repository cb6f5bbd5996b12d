import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDownstreamClient } from '../../src/kit/http/index';
import { closeServer } from '../helpers/stack';

// The per-call options a connector on a vendor SDK uses: its OAuth token, its own API, the SDK's serialised body, and
// the answer's headers (Xero's rate-limit counts).
describe('per-call overrides of the client layer', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method?: string; url?: string; authorization?: string; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json', 'x-minlimit-remaining': '59' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));

  test('bearer, baseUrl and jsonText replace the client’s key, URL and serialisation; onAnswer sees the headers', async () => {
    const client = createDownstreamClient(
      { name: 'accounting', baseUrl: `${base}/api-connector`, apiKey: 'k_api' },
      { timeoutMs: 2000 },
    );
    const text = '{"Invoices":[{"Type":"ACCREC","UnitAmount":1.50}]}';
    const headers: string[] = [];
    const res = await client.request('PUT', '/api.xro/2.0/Invoices', {
      baseUrl: `${base}/xero`,
      bearer: 'oauth-access-token',
      jsonText: text,
      query: { unitdp: 4 },
      idempotencyKey: 'invoice:ORD-1',
      onAnswer: (status, h) => headers.push(`${status} ${h.get('x-minlimit-remaining')}`),
    });
    expect(res.body).toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({
      method: 'PUT',
      url: '/xero/api.xro/2.0/Invoices?unitdp=4',
      authorization: 'Bearer oauth-access-token',
      body: text,
    });
    expect(headers).toEqual(['200 59']);
    // Without the overrides, the client's own.
    await client.request('GET', '/invoices');
    expect(seen.at(-1)).toMatchObject({ url: '/api-connector/invoices', authorization: 'Bearer k_api', body: '' });
  });
});
