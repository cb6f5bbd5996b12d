import express, { type Router } from 'express';

// A development trace view: an OTLP/HTTP (JSON) receiver at POST /v1/traces and the received traces at GET /traces,
// each as its tree of spans. `npm start` points the service's exporter here when no collector is configured, so the
// sample webhook's trace is one click away without running Jaeger. In memory, the last MAX_SPANS spans.

const MAX_SPANS = 5_000;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  /** Epoch milliseconds. */
  start: number;
  durationMs: number;
  error: boolean;
  attributes: Record<string, string | number | boolean>;
}

export interface SpanNode extends ReceivedSpan {
  children: SpanNode[];
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  status?: { code?: number };
  attributes?: Array<{ key: string; value: AnyValue }>;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: AnyValue }> };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

function valueOf(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return '';
}

const attributesOf = (list: Array<{ key: string; value: AnyValue }> = []) =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/** The spans of an OTLP/HTTP JSON export request (`ExportTraceServiceRequest`). */
export function parseOtlpJson(body: unknown): ReceivedSpan[] {
  const request = body as OtlpExport;
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? 'unknown');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s): ReceivedSpan => {
        const start = Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000;
        const end = Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000;
        return {
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          name: s.name,
          service,
          start,
          durationMs: Math.round((end - start) * 10) / 10,
          error: s.status?.code === 2,
          attributes: attributesOf(s.attributes),
        };
      }),
    );
  });
}

/** Received spans, grouped into traces. */
export class TraceStore {
  readonly spans: ReceivedSpan[] = [];

  add(spans: ReceivedSpan[]): void {
    this.spans.push(...spans);
    if (this.spans.length > MAX_SPANS) this.spans.splice(0, this.spans.length - MAX_SPANS);
  }

  /** The spans of one trace as trees (one root normally; more while a parent is still missing), oldest first. */
  tree(traceId: string): SpanNode[] {
    const nodes = new Map<string, SpanNode>();
    for (const s of this.spans) if (s.traceId === traceId) nodes.set(s.spanId, { ...s, children: [] });
    const roots: SpanNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.parentSpanId ? nodes.get(node.parentSpanId) : undefined;
      (parent ? parent.children : roots).push(node);
    }
    const sort = (list: SpanNode[]) => {
      list.sort((a, b) => a.start - b.start);
      for (const n of list) sort(n.children);
    };
    sort(roots);
    return roots;
  }

  /** Trace ids, the latest first. */
  traceIds(): string[] {
    const latest = new Map<string, number>();
    for (const s of this.spans) latest.set(s.traceId, Math.max(latest.get(s.traceId) ?? 0, s.start));
    return [...latest.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  }
}

const SHOWN_ATTRIBUTES = [
  'switchyard.source',
  'switchyard.event.type',
  'switchyard.event.id',
  'switchyard.business_key',
  'switchyard.system',
  'temporal.activity.attempt',
  'http.response.status_code',
];

/** One trace as indented text: `name  duration  service  key=value …`, children below their parent. */
export function renderTrace(roots: SpanNode[]): string {
  const lines: string[] = [];
  const walk = (node: SpanNode, depth: number) => {
    const attrs = SHOWN_ATTRIBUTES.filter((k) => node.attributes[k] !== undefined)
      .map((k) => `${k.replace(/^(switchyard|temporal)\./, '')}=${String(node.attributes[k])}`)
      .join(' ');
    lines.push(
      `${'  '.repeat(depth)}${node.error ? '✗ ' : ''}${node.name}  ${node.durationMs} ms  [${node.service}]${attrs ? `  ${attrs}` : ''}`,
    );
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  return lines.join('\n');
}

/** POST /v1/traces (OTLP/HTTP JSON), GET /traces (the latest 20 traces as text trees), GET /traces/:id (JSON). */
export function tracesRouter(store: TraceStore): Router {
  const router = express.Router();
  router.post('/v1/traces', express.json({ limit: '10mb' }), (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ error: 'unsupported_media_type', message: 'send OTLP/HTTP as JSON' });
      return;
    }
    store.add(parseOtlpJson(req.body));
    res.json({});
  });
  router.get('/traces', (_req, res) => {
    const ids = store.traceIds().slice(0, 20);
    const body = ids.length
      ? ids.map((id) => `trace ${id}\n${renderTrace(store.tree(id))}`).join('\n\n')
      : 'no traces yet: send a webhook (npm run send-sample)';
    res.type('text/plain').send(`${body}\n`);
  });
  router.get('/traces/:traceId', (req, res) => {
    const roots = store.tree(req.params.traceId);
    if (roots.length === 0) return void res.status(404).json({ error: 'unknown_trace' });
    res.json({ traceId: req.params.traceId, roots });
  });
  return router;
}
