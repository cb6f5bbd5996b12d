import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import { parseOtlpJson, type ReceivedSpan } from '../../src/sandbox/traces';
import { inSpan } from '../../src/tracing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { replayHistories } from '../../src/ops/replay';
import { installTracing, type Tracing, workflowTracingSinks } from '../../src/tracing/install';
import { bundleWorkflows } from '../../src/worker/workers';
import { loadRecordedHistories } from '../replay/histories';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { closeServer, type Stack, startStack, testDataConverter, uniqueId } from '../helpers/stack';
import { apiClients } from '../api/v1/helpers';

// The service traced into an OTLP/HTTP endpoint that this test runs: what a collector would receive.
describe('one webhook, one trace', () => {
  let stack: Stack;
  let tracing: Tracing;
  let receiver: Server;
  let bundle: WorkflowBundleWithSourceMap;
  const received: ReceivedSpan[] = [];
  const bodies: string[] = [];
  const api = apiClients([{ name: 'erp', scopes: ['orders:write'] }]);

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (req.url === '/v1/traces' && (req.headers['content-type'] ?? '').includes('json')) {
          bodies.push(body);
          received.push(...parseOtlpJson(JSON.parse(body)));
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    // Before the bundle and the workers: with tracing installed, the bundle carries the OpenTelemetry workflow
    // interceptors (the shared test bundle does not), and the workers' span sink exports with this resource.
    tracing = installTracing({ endpoint: `http://127.0.0.1:${port}`, serviceName: 'switchyard-test' });
    bundle = await bundleWorkflows();
    const codePath = `${process.env.SWITCHYARD_TEST_DIR ?? '/tmp'}/workflow-bundle-traced-${uniqueId()}.js`;
    fs.writeFileSync(codePath, bundle.code);
    stack = await startStack({ workflowBundlePath: codePath, env: { API_CLIENTS: api.env } });
  }, 120_000);
  afterAll(async () => {
    await stack.stop();
    await tracing.shutdown();
    await closeServer(receiver);
  });

  async function spansOf(traceId: string, until: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await tracing.flush();
      const spans = received.filter((s) => s.traceId === traceId);
      if (until(spans)) return spans;
      if (Date.now() > deadline) throw new Error(`trace incomplete: ${spans.map((s) => s.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  test('a request/response command continues the caller’s traceparent into its workflow and the third-party call', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const orderId = uniqueId('ORD-');
    const res = await fetch(`${stack.apiUrl}/api/v1/orders/${orderId}/invoice`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.keys.erp}`,
        'idempotency-key': uniqueId('k-'),
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({ total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' }),
    });
    expect(res.status).toBe(201);

    const spans = await spansOf(traceId, (s) => s.some((x) => x.name === 'HTTP POST email-platform'));
    const one = (name: string) => {
      const found = spans.filter((x) => x.name === name);
      expect({ name, count: found.length }).toEqual({ name, count: 1 });
      return found[0]!;
    };
    const root = one('POST /api/v1/orders/{orderId}/invoice');
    expect(root.parentSpanId).toBe(callerSpanId);
    expect(root.attributes).toMatchObject({ 'http.response.status_code': 201 });
    // The workflow and its calls hang below the request, whatever the client interceptor names its own span.
    const byId = new Map(spans.map((x) => [x.spanId, x]));
    const ancestors = (span: ReceivedSpan): string[] => {
      const chain: string[] = [];
      for (let p = byId.get(span.parentSpanId ?? ''); p; p = byId.get(p.parentSpanId ?? '')) chain.push(p.name);
      return chain;
    };
    expect(ancestors(one('RunWorkflow:invoiceOrder'))).toContain(root.name);
    expect(ancestors(one('HTTP POST accounting'))).toEqual(
      expect.arrayContaining(['RunWorkflow:invoiceOrder', root.name]),
    );
    expect(JSON.stringify(spans)).not.toContain('k.nowak@example.com');
  });

  test('continues the incoming traceparent down to each attempt of the third-party call, which receives it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const eventId = uniqueId('evt_');
    const orderId = uniqueId('ORD-');
    const workflowId = `${stack.config.temporal.taskQueuePrefix}shop:${eventId}`;
    // accounting fails the first createInvoice: the trace must show both attempts.
    const faults = await fetch(`${stack.sandboxUrl}/__admin/accounting/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ failNext: 1 }),
    });
    expect(faults.status).toBe(200);

    const signed = signShop(stack.config.sources.shop.secrets[0]!, eventId, orderPaidBody(eventId, orderId));
    const res = await post(`${stack.apiUrl}/webhooks/shop`, {
      ...signed,
      headers: { ...signed.headers, traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    expect(res.status).toBe(202);
    await stack.client.workflow.getHandle(workflowId).result();

    const spans = await spansOf(
      traceId,
      (s) =>
        s.filter((x) => x.name === 'HTTP POST accounting').length >= 2 &&
        s.some((x) => x.name === 'HTTP POST email-platform'),
    );
    const named = (name: string) => spans.filter((s) => s.name === name);
    const one = (name: string) => {
      const found = named(name);
      expect({ name, count: found.length }).toEqual({ name, count: 1 });
      return found[0]!;
    };
    const childrenOf = (parent: ReceivedSpan, name: string) =>
      spans.filter((s) => s.parentSpanId === parent.spanId && s.name === name);

    const root = one('POST /webhooks/:source');
    expect(root.parentSpanId).toBe(callerSpanId);
    expect(root.attributes).toMatchObject({
      'switchyard.source': 'shop',
      'switchyard.event.id': eventId,
      'switchyard.event.type': 'order.paid',
      'switchyard.business_key': orderId,
      'temporal.workflow.id': workflowId,
      'http.response.status_code': 202,
    });
    expect(root.attributes['temporal.run.id']).toMatch(/\S/);
    expect(childrenOf(root, 'verify signature')).toHaveLength(1);

    const start = one('StartWorkflow:orderPaid');
    expect(start.parentSpanId).toBe(root.spanId);
    const run = one('RunWorkflow:orderPaid');
    expect(run.parentSpanId).toBe(start.spanId);
    const scheduled = one('StartActivity:createInvoice');
    expect(scheduled.parentSpanId).toBe(run.spanId);

    const attempts = childrenOf(scheduled, 'RunActivity:createInvoice').sort(
      (a, b) => Number(a.attributes['temporal.activity.attempt']) - Number(b.attributes['temporal.activity.attempt']),
    );
    expect(attempts.map((a) => [a.attributes['temporal.activity.attempt'], a.error])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(attempts.map((a) => a.attributes['switchyard.system'])).toEqual(['accounting', 'accounting']);
    const calls = attempts.map((a) => childrenOf(a, 'HTTP POST accounting'));
    expect(calls.map((c) => c.map((x) => x.attributes['http.response.status_code']))).toEqual([[500], [201]]);

    // The sandbox received each call's traceparent: this trace, the call's own span as parent.
    const posts = (await (await fetch(`${stack.sandboxUrl}/__admin/accounting/requests`)).json()) as {
      data: Array<{ method: string; path: string; traceparent?: string; status: number }>;
    };
    const ours = posts.data.filter((r) => r.method === 'POST' && r.traceparent?.includes(traceId));
    expect(ours.map((r) => r.traceparent).sort()).toEqual(calls.map(([c]) => `00-${traceId}-${c!.spanId}-01`).sort());

    // Nothing personal: the customer's email is in the order, never in a span.
    const email = (JSON.parse(orderPaidBody(eventId, orderId)) as { order: { customer_email: string } }).order
      .customer_email;
    expect(JSON.stringify(spans)).not.toContain(email);

    // The sandbox's trace view shows the same tree from the same OTLP export.
    for (const body of bodies) {
      await fetch(`${stack.sandboxUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    }
    const view = await (await fetch(`${stack.sandboxUrl}/traces`)).text();
    const tree = view.split('\n\n').find((t) => t.startsWith(`trace ${traceId}`))!;
    const depthOf = (name: string) => /^( *)/.exec(tree.split('\n').find((l) => l.includes(name))!)![1]!.length / 2;
    expect(
      [
        'POST /webhooks/:source',
        'StartWorkflow:orderPaid',
        'RunWorkflow:orderPaid',
        'StartActivity:createInvoice',
        'RunActivity:createInvoice',
        'HTTP POST accounting',
      ].map(depthOf),
    ).toEqual([0, 1, 2, 3, 4, 5]);
  }, 60_000);

  test('the recorded histories replay with the tracing interceptors bundled', async () => {
    expect(bundle.code).toContain('OpenTelemetryInboundInterceptor');
    const recorded = loadRecordedHistories();
    const outcomes = await replayHistories(
      recorded.map((r) => ({ workflowId: r.file, history: r.history })),
      // Decoded as the replay tests decode them: histories are recorded as the service writes them (encrypted).
      { workflowBundle: bundle, sinks: workflowTracingSinks(), dataConverter: testDataConverter() },
    );
    expect(outcomes.filter((o) => !o.deterministic).map((o) => [o.workflowId, o.error])).toEqual([]);
    expect(outcomes).toHaveLength(recorded.length);
  }, 60_000);

  test('a log line written inside a span carries its trace_id and span_id', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const ids = await inSpan('a span', {}, (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    logger.info('outside');
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({ msg: 'inside', trace_id: ids.traceId, span_id: ids.spanId });
    expect(outside).not.toHaveProperty('trace_id');
  });
});
