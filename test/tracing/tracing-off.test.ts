import { orderPaidBody, post, signShop } from '../helpers/signing';
import { type Stack, startStack, uniqueId } from '../helpers/stack';

// Without OTEL_EXPORTER_OTLP_ENDPOINT no tracer provider is installed: nothing goes downstream or into histories.
describe('with tracing off', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test('no traceparent reaches the third party and the workflow start carries no trace header', async () => {
    const eventId = uniqueId('evt_');
    const signed = signShop(stack.config.sources.shop.secrets[0]!, eventId, orderPaidBody(eventId, uniqueId('ORD-')));
    const res = await post(`${stack.apiUrl}/webhooks/shop`, signed);
    expect(res.status).toBe(202);
    const handle = stack.client.workflow.getHandle(`${stack.config.temporal.taskQueuePrefix}shop:${eventId}`);
    await handle.result();

    const logged = (await (await fetch(`${stack.sandboxUrl}/__admin/accounting/requests`)).json()) as {
      data: Array<{ method: string; traceparent?: string }>;
    };
    expect(logged.data.filter((r) => r.method === 'POST').length).toBeGreaterThan(0);
    expect(logged.data.filter((r) => r.traceparent !== undefined)).toEqual([]);

    const history = await handle.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started).toBeDefined();
    expect(Object.keys(started?.header?.fields ?? {})).toEqual([]);
  });
});
