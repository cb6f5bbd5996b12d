import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createApp, createOperatorApp } from '../../src/api/app';
import { codecRouter } from '../../src/api/codec-server';
import { createApiMetrics } from '../../src/api/metrics';
import type { WorkflowStarter } from '../../src/api/workflow-starter';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ENCRYPTED_ENCODING, PayloadCipher } from '../../src/temporal/codec';
import { closeServer, listenOnFreePort } from '../helpers/stack';
import type { Server } from 'node:http';

const UI = 'http://localhost:8233';
// Strong values, as production would require: fresh for each run.
const TOKEN = randomBytes(32).toString('base64url');
const KEY = randomBytes(32);
const PAYLOAD_KEYS = `k1:${KEY.toString('base64')}`;
const Payloads = temporal.api.common.v1.Payloads;

const asJson = (payloads: Payload[]) => Payloads.fromObject({ payloads }).toJSON() as { payloads: unknown[] };
const fromJson = (json: unknown) => Payloads.fromObject(json as Record<string, unknown>).payloads;

describe('the codec server', () => {
  let server: Server;
  let url: string;
  let devUrl: string;
  let devServer: Server;
  let ingressUrl: string;
  const servers: Server[] = [];
  const logs: string[] = [];
  const cipher = new PayloadCipher([{ id: 'k1', key: KEY }]);

  async function serve(env: Record<string, string>) {
    const config = loadConfig({ NODE_ENV: 'test', TEMPORAL_UI_URL: UI, ...env });
    const logger = createLogger(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    );
    const deps = {
      config,
      logger,
      starter: { ready: async () => true } as unknown as WorkflowStarter,
      metrics: createApiMetrics(),
      sources: new Map(),
    };
    const ingress = await listenOnFreePort(createApp(deps));
    servers.push(ingress.server);
    return { config, ingressUrl: ingress.url, ...(await listenOnFreePort(createOperatorApp(deps))) };
  }

  beforeAll(async () => {
    ({ server, url, ingressUrl } = await serve({ PAYLOAD_KEYS, CODEC_TOKEN: TOKEN }));
    ({ server: devServer, url: devUrl } = await serve({}));
  });
  afterAll(async () => {
    await closeServer(server);
    await closeServer(devServer);
    for (const s of servers) await closeServer(s);
  });

  test('it is served on the operator listener only, never on the public ingress', async () => {
    const res = await decode(asJson([]), { authorization: `Bearer ${TOKEN}` }, ingressUrl);
    expect(res.status).toBe(404);
    const operator = await decode(asJson([]), { authorization: `Bearer ${TOKEN}` });
    expect(operator.status).toBe(200);
  });

  const decode = (body: unknown, headers: Record<string, string> = {}, base = url, path = '/codec/decode') =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });

  test('without a token: 401, and nothing decoded', async () => {
    const [encrypted] = await cipher.encode([defaultPayloadConverter.toPayload({ email: 'a@example.com' })]);
    const res = await decode(asJson([encrypted!]));
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('a@example.com');
  });

  test('with a wrong token: 401', async () => {
    const res = await decode(asJson([]), { authorization: 'Bearer not-the-codec-token-at-all' });
    expect(res.status).toBe(401);
  });

  test('the token is checked before the body is read: an unauthenticated body is never parsed, whatever its size', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
        body,
      });
    // Not JSON, 1.2 MB: a parser would answer 400 before any 401.
    const malformed = `{"payloads": [${'x'.repeat(1_200_000)}`;
    const unauthenticated = await post(malformed);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toMatch(/^Bearer/);
    // Over the parser's 4 MB limit: a parser would answer 413.
    expect((await post(`"${'y'.repeat(5_000_000)}"`, { authorization: 'Bearer wrong' })).status).toBe(401);
    // Authenticated, the same body is parsed, and refused as what it is.
    expect((await post(malformed, { authorization: `Bearer ${TOKEN}` })).status).toBe(400);
  });

  test('an encode is audited as a decode is: the caller, the count, never the token', async () => {
    const res = await fetch(`${url}/codec/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(
        asJson([
          defaultPayloadConverter.toPayload('a'),
          defaultPayloadConverter.toPayload('b'),
          defaultPayloadConverter.toPayload('c'),
        ]),
      ),
    });
    expect(res.status).toBe(200);
    const audit = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'codec encode' && l.payloads === 3);
    expect(audit).toMatchObject({
      audit: 'codec',
      action: 'encode',
      actor: 'codec',
      namespace: 'default',
      encrypted: 3,
    });
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  test('a good token decodes, as protobuf JSON, and the decode is audited with the caller and the count', async () => {
    const encrypted = await cipher.encode([
      defaultPayloadConverter.toPayload({ customerEmail: 'k.nowak@example.com' }),
      defaultPayloadConverter.toPayload(1499),
    ]);
    const res = await decode(asJson(encrypted), { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    const payloads = fromJson(await res.json());
    expect(payloads.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { customerEmail: 'k.nowak@example.com' },
      1499,
    ]);
    const audit = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'codec decode' && l.payloads === 2);
    expect(audit).toMatchObject({ audit: 'codec', actor: 'codec', namespace: 'default', payloads: 2, decrypted: 2 });
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  test('an unknown encoding is passed back unchanged', async () => {
    const odd: Payload = { metadata: { encoding: Buffer.from('binary/zstd') }, data: Buffer.from([1, 2, 3]) };
    const res = await decode(asJson([odd]), { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(asJson([odd]));
  });

  test('encode encrypts with the first key', async () => {
    const res = await fetch(`${url}/codec/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(asJson([defaultPayloadConverter.toPayload('plain')])),
    });
    expect(res.status).toBe(200);
    const [p] = fromJson(await res.json());
    expect(Buffer.from(p!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
  });

  test('a payload under a key that is not configured: 400 naming the key id', async () => {
    const other = new PayloadCipher([{ id: 'gone', key: randomBytes(32) }]);
    const res = await decode(asJson(await other.encode([defaultPayloadConverter.toPayload('x')])), {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/key id \\?"gone\\?"/);
  });

  test("CORS: the Web UI's origin is allowed, with the headers the UI sends; another origin gets no CORS headers", async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const good = await preflight(UI);
    expect(good.status).toBe(204);
    expect(good.headers.get('access-control-allow-origin')).toBe(UI);
    expect(good.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(/x-namespace/);
    const bad = await preflight('https://evil.example');
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
    const badPost = await decode(asJson([]), { origin: 'https://evil.example', authorization: `Bearer ${TOKEN}` });
    expect(badPost.headers.get('access-control-allow-origin')).toBeNull();
    expect(badPost.status).toBe(403);
  });

  test('the token in the path is refused unless it is the public development token (npm start only)', async () => {
    const res = await decode(asJson([]), {}, url, `/codec/${TOKEN}/decode`);
    expect(res.status).toBe(404);
    const config = loadConfig({ NODE_ENV: 'test' });
    const dev = await decode(asJson([]), {}, devUrl, `/codec/${config.codec!.token}/decode`);
    expect(dev.status).toBe(200);
    const wrong = await decode(asJson([]), {}, devUrl, '/codec/dev_0000000000000000000000000000000/decode');
    expect(wrong.status).toBe(401);
  });

  test('with real keys and no CODEC_TOKEN, the codec server is off', () => {
    const config = loadConfig({ NODE_ENV: 'test', PAYLOAD_KEYS });
    expect(codecRouter({ config, logger: createLogger({ level: 'silent' }) })).toBeUndefined();
  });
});
