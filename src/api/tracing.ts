import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { tracer, tracingOn } from '../tracing';

// The webhook's server span. It is started before the body is read and re-entered right before the handler, because
// the body parser resumes on the socket's own async context and would otherwise lose it.

/** Starts `POST /webhooks/:source`, continuing an incoming W3C `traceparent`; ends when the answer is sent. */
export function startWebhookSpan(knownSources: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const source = String(req.params.source);
    startServerSpan(req, res, next, '/webhooks/:source', {
      'switchyard.source': knownSources.includes(source) ? source : 'unknown',
    });
  };
}

/**
 * The server span of a request/response API call, named by its route template (never the path itself: it carries
 * order ids and emails), continuing an incoming `traceparent`. The commands' Update-With-Start carries it on into
 * the workflow (see createCommandRunner).
 */
export function startApiSpan(routeOf: (req: Request) => string) {
  return (req: Request, res: Response, next: NextFunction): void =>
    startServerSpan(req, res, next, routeOf(req), { 'switchyard.source': 'api' });
}

function startServerSpan(
  req: Request,
  res: Response,
  next: NextFunction,
  route: string,
  attributes: Record<string, string>,
): void {
  if (!tracingOn()) return next();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer().startSpan(
    `${req.method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'http.route': route, ...attributes },
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
}

/** Re-enters the request's span after its body was read (see above). */
export function resumeRequestSpan(_req: Request, res: Response, next: NextFunction): void {
  const span = res.locals.span as Span | undefined;
  if (!span) return next();
  context.with(trace.setSpan(context.active(), span), next);
}
