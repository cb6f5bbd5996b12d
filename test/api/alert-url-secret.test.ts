import { randomBytes } from 'node:crypto';
import http, { type Server } from 'node:http';
import { Writable } from 'node:stream';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { listenApi } from '../../src/api/listeners';
import { createApiMetrics } from '../../src/api/metrics';
import { createWorkflowStarter } from '../../src/api/workflow-starter';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { historyToJson } from '../../src/ops/history-json';
import { createSandbox, sandboxKeys } from '../../src/sandbox/server';
import { createSources } from '../../src/api/sources';
import { createWorkers } from '../../src/worker/workers';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { dataConverterFor, decodePayloadsDeep } from '../../src/temporal/codec';
import { closeServer, listenOnFreePort, TEST_ADDRESS, testConfig, uniqueId } from '../helpers/stack';

// The alert webhook's URL is a credential: its path carries the token. When alerting fails, the failure travels into
// workflow history, worker logs and the admin API; none of them may carry any part of that path.

const ADMIN_TOKEN = `adm_${randomBytes(12).toString('hex')}`;
const TOKENS = [
  `T0${randomBytes(5).toString('hex').toUpperCase()}`,
  `B0${randomBytes(5).toString('hex').toUpperCase()}`,
  `xoxb${randomBytes(12).toString('hex')}`,
];

/** Every text and every base64 payload in a history, decoded: details and memos are stored as JSON payloads. */
function historyText(json: unknown): string {
  const text = JSON.stringify(json);
  const decoded = [...text.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString());
  return [text, ...decoded].join('\n');
}

describe('a failing alert webhook', () => {
  // Stands in for Slack: answers every alert with an error page that quotes the request line, as servers do.
  let mode: 'unavailable' | 'rejected' = 'unavailable';
  let alertHits = 0;
  const alertServer: Server = http.createServer((req, res) => {
    alertHits += 1;
    req.resume();
    const status = mode === 'unavailable' ? 500 : 404;
    res.writeHead(status, { 'content-type': 'text/html' }).end(`<pre>Cannot ${req.method} ${req.url}</pre>`);
  });

  const logLines: string[] = [];
  const sdkLogs: string[] = [];
  let spy: jest.SpyInstance | undefined;
  const stops: Array<() => Promise<unknown>> = [];
  let apiUrl = '';
  let adminUrl = '';
  let client: Client;
  let shopSecret = '';
  let prefix = '';
  let sandboxUrl = '';

  beforeAll(async () => {
    const sdkLogger = Runtime.instance().logger;
    spy = jest.spyOn(sdkLogger, 'log').mockImplementation((level, message, meta) => {
      sdkLogs.push(
        JSON.stringify({ level, message, meta }, (_k, v: unknown) =>
          v instanceof Error ? { message: v.message, stack: v.stack } : v,
        ),
      );
    });

    const { url: alertBase } = await listenOnFreePort(alertServer);
    stops.push(() => closeServer(alertServer));
    const sandbox = createSandbox(sandboxKeys(loadConfig({ NODE_ENV: 'test' })));
    const listening = await sandbox.listen(0);
    sandboxUrl = listening.url;
    stops.push(() => closeServer(listening.server));

    const config = testConfig(sandboxUrl, {
      LOG_LEVEL: 'debug',
      ALERTS_WEBHOOK_URL: `${alertBase}/services/${TOKENS.join('/')}`,
      ADMIN_TOKEN,
    });
    shopSecret = config.sources.shop.secrets[0]!;
    prefix = config.temporal.taskQueuePrefix;
    const logger = createLogger(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString());
          done();
        },
      }),
    );

    const connection = await NativeConnection.connect({ address: TEST_ADDRESS() });
    const workers: Worker[] = await createWorkers({
      connection,
      namespace: 'default',
      config,
      logger,
      workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! } as never,
    });
    const running = Promise.all(workers.map((w) => w.run()));
    stops.push(async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await connection.close();
    });

    const clientConnection = await Connection.connect({ address: TEST_ADDRESS() });
    stops.push(() => clientConnection.close());
    client = new Client({
      connection: clientConnection,
      namespace: 'default',
      dataConverter: dataConverterFor(config),
    });
    const api = await listenApi(
      {
        config,
        logger,
        starter: createWorkflowStarter(client, config.temporal.startTimeoutMs),
        metrics: createApiMetrics(),
        sources: createSources(config),
        client,
      },
      { ingress: 0, operator: 0 },
    );
    apiUrl = api.ingress.url;
    adminUrl = api.operator.url;
    stops.push(
      () => closeServer(api.ingress.server),
      () => closeServer(api.operator.server),
    );
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    spy?.mockRestore();
  });

  async function adminList(workflowId: string) {
    const query = encodeURIComponent(`WorkflowId = "${workflowId}"`);
    const res = await fetch(`${adminUrl}/admin/list?query=${query}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    return { text, data: (JSON.parse(text) as { data: Array<{ status: string; lastError?: string }> }).data };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const leaks = (text: string) => TOKENS.filter((t) => text.includes(t));

  test('when a flow fails and its alert cannot be delivered, no part of the alert URL reaches history, logs or the admin API', async () => {
    // A flow that fails: accounting rejects the invoice, so orderPaid alerts, and the alert endpoint answers 500.
    await fetch(`${sandboxUrl}/__admin/accounting/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ respondNext: { status: 400, count: 1 } }),
    });
    const eventId = uniqueId('evt_');
    const workflowId = `${prefix}shop:${eventId}`;
    const res = await post(
      `${apiUrl}/webhooks/shop`,
      signShop(shopSecret, eventId, orderPaidBody(eventId, uniqueId('ORD-'))),
    );
    expect(res.status).toBe(202);

    // While the alert is being retried, the admin API shows its last error: the system and the status, no URL.
    const retrying = await until('a retried alert visible in /admin/list', async () => {
      const list = await adminList(workflowId);
      const entry = list.data[0];
      return entry?.status === 'RUNNING' && entry.lastError && alertHits >= 2 ? list : undefined;
    });
    expect(leaks(retrying.text)).toEqual([]);
    expect(retrying.data[0]!.lastError).toMatch(/^alerts POST answered 500/);

    // Then the endpoint rejects the alert for good: the execution fails with that error.
    mode = 'rejected';
    const handle = client.workflow.getHandle(workflowId);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const failed = await until('the failed execution in /admin/list', async () => {
      const list = await adminList(workflowId);
      return list.data[0]?.status === 'FAILED' ? list : undefined;
    });
    expect(leaks(failed.text)).toEqual([]);
    expect(failed.data[0]!.lastError).toMatch(/alerts POST answered 404/);

    // Read as an operator with the keys reads it (decrypted): the URL must not be in there either.
    const codecs = client.options.loadedDataConverter.payloadCodecs;
    const history = historyText(historyToJson(await decodePayloadsDeep(await handle.fetchHistory(), codecs)));
    expect(leaks(history)).toEqual([]);
    expect(history).toContain('alerts POST answered 404');

    // The logs did see the failing alert activity; none of them carries the URL.
    expect(sdkLogs.some((l) => l.includes('sendAlert'))).toBe(true);
    expect(leaks([...logLines, ...sdkLogs].join('\n'))).toEqual([]);
  }, 60_000);
});
