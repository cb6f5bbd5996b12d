import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { tracer } from '../tracing';

// The webhook's server span. It is started before the body is read and re-entered right before the handler, because
// the body parser resumes on the socket's own async context and would otherwise lose it.

/** Starts `POST /webhooks/:source`, continuing an incoming W3C `traceparent`; ends when the answer is sent. */
export function startWebhookSpan(knownSources: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const source = String(req.params.source);
    const span = tracer().startSpan(
      'POST /webhooks/:source',
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': 'POST',
          'http.route': '/webhooks/:source',
          'switchyard.source': knownSources.includes(source) ? source : 'unknown',
        },
      },
      parent,
    );
    res.locals.span = span;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}

/** Re-enters the request's span (see above). */
export function resumeWebhookSpan(_req: Request, res: Response, next: NextFunction): void {
  const span = res.locals.span as Span | undefined;
  if (!span) return next();
  context.with(trace.setSpan(context.active(), span), next);
}
