import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { productionApiEnv, uniqueId } from '../helpers/stack';
import { entryArgs } from '../setup/prebuild';

// The API role as deployed (src/api/main.ts in its own process, production config), sent SIGTERM while requests are
// in flight: readiness goes off at once, the ingress serves through the drain delay, then stops accepting, and every
// request that had begun gets its answer before the process exits 0.
describe('the API on SIGTERM', () => {
  const root = path.resolve(__dirname, '../..');
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  async function startApi(env: Record<string, string>) {
    const child = spawn(process.execPath, entryArgs('src/api/main.ts'), {
      cwd: root,
      env: { ...productionApiEnv(secret), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const listening = await new Promise<{ ingress: string }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const parts = out.split('\n');
        out = parts.pop()!;
        for (const line of parts) {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === 'api listening') resolve(entry as { ingress: string });
        }
      });
      void exit.then(({ code }) => reject(new Error(`the API exited (${code}) before listening: ${stderr}`)));
    });
    return { child, ingress: listening.ingress, lines, exit };
  }

  /** A signed webhook whose body is sent in two halves: the request is in flight until `finish()` is called. */
  function slowWebhook(ingress: string) {
    const eventId = uniqueId('evt_');
    const signed = signShop(secret, eventId, orderPaidBody(eventId, uniqueId('ORD-')));
    const body = Buffer.from(signed.body);
    let finish = () => {};
    const answer = new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
      const req = http.request(
        `${ingress}/webhooks/shop`,
        { method: 'POST', headers: { ...signed.headers, 'content-length': String(body.length) }, agent: false },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 10));
      finish = () => req.end(body.subarray(10));
    });
    return { answer, finish: () => finish() };
  }

  test('readiness goes off at once, the drain delay is served, in-flight requests are answered, and it exits 0', async () => {
    const api = await startApi({ SHUTDOWN_DRAIN_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: '8000' });
    expect((await fetch(`${api.ingress}/readyz`)).status).toBe(200);
    const inFlight = [slowWebhook(api.ingress), slowWebhook(api.ingress), slowWebhook(api.ingress)];
    // The server has the requests' first bytes before the signal.
    await new Promise((r) => setTimeout(r, 200));

    const signalledAt = Date.now();
    api.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    const ready = await fetch(`${api.ingress}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    expect(ready.headers.get('connection')).toBe('close');
    // Still inside the drain delay: a new delivery is served as usual.
    const eventId = uniqueId('evt_');
    const during = await post(`${api.ingress}/webhooks/shop`, signShop(secret, eventId, orderPaidBody(eventId, 'D-1')));
    expect(during.status).toBe(202);

    // After the drain delay the listener is closed: new connections are refused...
    await new Promise((r) => setTimeout(r, Math.max(0, signalledAt + 1500 - Date.now())));
    await expect(fetch(`${api.ingress}/healthz`)).rejects.toThrow();
    // ...while the requests that had begun still get their answer.
    for (const r of inFlight) r.finish();
    const answers = await Promise.all(inFlight.map((r) => r.answer));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers.every((a) => a.connection === 'close')).toBe(true);

    const { code, at } = await api.exit;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(8000);
    expect(api.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['api shutting down', 'shutting down: readiness is off, draining', 'shut down']),
    );
  }, 60_000);

  test('a request that never finishes is cut at SHUTDOWN_TIMEOUT_MS, and the exit code says so', async () => {
    const api = await startApi({ SHUTDOWN_DRAIN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '1500' });
    const stuck = slowWebhook(api.ingress);
    const cut = stuck.answer.then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 200));
    const signalledAt = Date.now();
    api.child.kill('SIGTERM');
    const { code, at } = await api.exit;
    expect(code).toBe(1);
    expect(at - signalledAt).toBeGreaterThanOrEqual(1400);
    expect(await cut).toBe('cut');
    expect(
      api.lines.find(
        (l) => l.msg === 'shutdown timed out: cutting the connections still open (their callers will retry)',
      ),
    ).toMatchObject({ openConnections: 1 });
  }, 60_000);
});
