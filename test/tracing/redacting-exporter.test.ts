import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MAX_MESSAGE_LENGTH } from '../../src/redaction';
import { redactingExporter } from '../../src/tracing/install';

// Whatever makes a span (our code, Temporal's interceptors, a library), what leaves the process holds no address.
describe('the span exporter tracing installs', () => {
  test('exports no email in a span’s name, attributes, status, events or links, and bounds the status message', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(redactingExporter(memory))] });
    const tracer = provider.getTracer('test');
    const linked = tracer.startSpan('linked');
    linked.end();
    const span = tracer.startSpan('lookup k.nowak@example.com', {
      attributes: {
        'url.full': 'http://crm.test/contacts/by-email/k.nowak%40example.com',
        tags: ['a', 'k.nowak@example.com'],
      },
      links: [{ context: linked.spanContext(), attributes: { who: 'k.nowak&#64;example.com' } }],
    });
    span.addEvent('exception', { 'exception.message': 'no contact k.nowak\\u0040example.com' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `rejected k.nowak@example.com: ${'x '.repeat(2000)}` });
    span.end();
    await provider.forceFlush();

    const exported = memory.getFinishedSpans().find((s) => s.name.startsWith('lookup'))!;
    const text = JSON.stringify({
      name: exported.name,
      attributes: exported.attributes,
      status: exported.status,
      events: exported.events,
      links: exported.links.map((l) => l.attributes),
    });
    expect(text).not.toMatch(/nowak/i);
    expect(text).toMatch(/email:[0-9a-f]{12}/);
    expect(exported.status.message!.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    // The rest of the span is the span: its ids and timing pass through as they are.
    expect(exported.spanContext().spanId).toBe(span.spanContext().spanId);
    expect(exported.duration).toEqual((span as unknown as { duration: unknown }).duration);
    await provider.shutdown();
  });
});
