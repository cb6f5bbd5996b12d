import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { tracer, tracingOn } from '../tracing';

// The server spans of the ingress and the request/response API. An Express route's span is started before the body is
// read and re-entered right before the handler, because the body parser resumes on the socket's own async context and
// would otherwise lose it.

/**
 * Starts `POST /webhooks/:source`, continuing an incoming W3C `traceparent`, and ends it when the answer is sent;
 * `run` runs inside it. The ingress is a plain Node handler, not an Express route (src/api/webhooks), so this takes
 * Node's own request and response.
 */
export function inWebhookSpan<T>(
  req: IncomingMessage,
  res: ServerResponse,
  source: string,
  run: () => Promise<T>,
): Promise<T> {
  if (!tracingOn()) return run();
  const { span, parent } = serverSpan(req, res, '/webhooks/:source', { 'switchyard.source': source });
  return context.with(trace.setSpan(parent, span), run);
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
  const { span, parent } = serverSpan(req, res, route, attributes);
  res.locals.span = span;
  context.with(trace.setSpan(parent, span), next);
}

function serverSpan(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  attributes: Record<string, string>,
): { span: Span; parent: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer().startSpan(
    `${req.method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'http.route': route, ...attributes },
    },
    parent,
  );
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
  return { span, parent };
}

/** Re-enters the request's span after its body was read (see above). */
export function resumeRequestSpan(_req: Request, res: Response, next: NextFunction): void {
  const span = res.locals.span as Span | undefined;
  if (!span) return next();
  context.with(trace.setSpan(context.active(), span), next);
}
