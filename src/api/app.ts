import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Config, SourceName } from '../config';
import type { Logger } from '../logger';
import type { RegisteredSource } from './sources';
import { adminRouter } from './admin';
import { codecRouter } from './codec-server';
import { connectionsRouter } from './connections';
import { bodyReadRefusal, HttpError, sendHttpError } from './errors';
import type { Lifecycle } from './shutdown';
import type { ApiMetrics } from './metrics';
import { apiV1Router } from './v1';
import { webhookIngress } from './webhooks';
import type { WorkflowStarter } from './workflow-starter';

export interface AppDeps {
  config: Config;
  logger: Logger;
  starter: WorkflowStarter;
  metrics: ApiMetrics;
  sources: Map<SourceName, RegisteredSource>;
  /** For the operator endpoints under /admin; without it (or without ADMIN_TOKEN) /admin answers 404. */
  client?: Client;
  /** Shutdown state: while draining, /readyz answers 503 and connections are not kept alive. */
  lifecycle?: Lifecycle;
}

/**
 * The probes orchestrators call, on both listeners: liveness, and readiness (Temporal answers, and the process is not
 * shutting down). While draining, every answer asks the caller to close its connection.
 */
function probes(app: Express, starter: WorkflowStarter, lifecycle?: Lifecycle): void {
  app.use((_req, res, next) => {
    if (lifecycle?.draining()) res.setHeader('Connection', 'close');
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  let readyCache: { at: number; ok: boolean } | undefined;
  app.get('/readyz', async (_req, res) => {
    if (lifecycle?.draining()) {
      res.status(503).json({ status: 'draining', temporal: readyCache?.ok ?? null });
      return;
    }
    if (!readyCache || Date.now() - readyCache.at > 1000) readyCache = { at: Date.now(), ok: await starter.ready() };
    res
      .status(readyCache.ok ? 200 : 503)
      .json({ status: readyCache.ok ? 'ready' : 'unready', temporal: readyCache.ok });
  });
}

function baseApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  return app;
}

// The 404 and the one error middleware both listeners end with: typed errors map to their status, anything else is a
// logged 500 that tells the caller nothing internal.
function finish(app: Express, deps: Pick<AppDeps, 'logger'>): Express {
  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'no such route')));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const http = err instanceof HttpError ? err : bodyReadRefusal(err);
    if (http) {
      sendHttpError(res, http);
      return;
    }
    deps.logger.error({ err, path: req.path }, 'unhandled error in request');
    res.status(500).json({ error: 'internal', message: 'internal error' });
  });
  return app;
}

/** The public listener's handler, callable as Node's request listener, and able to listen as an Express app does. */
export interface PublicApp {
  (req: IncomingMessage, res: ServerResponse): void;
  listen(port: number, host: string, cb: () => void): Server;
}

/**
 * The public ingress: webhooks, the request/response API (/api/v1, when API_ENABLED and a client is given), and the
 * probes. A delivery is answered by the webhook ingress before Express sees it (src/api/webhooks); everything else
 * is the Express app's. The caller listens on PORT (tests on port 0). Operator endpoints are on createOperatorApp's
 * listener, never here.
 */
export function createApp(deps: AppDeps): PublicApp {
  const app = baseApp();
  probes(app, deps.starter, deps.lifecycle);
  const api = deps.client && apiV1Router({ config: deps.config, logger: deps.logger, client: deps.client });
  if (api) app.use('/api/v1', api);
  finish(app, deps);
  const webhooks = webhookIngress(deps);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!webhooks(req, res)) app(req, res);
  };
  return Object.assign(handle, {
    listen: (port: number, host: string, cb: () => void) => createServer(handle).listen(port, host, cb),
  });
}

/**
 * The operator listener (ADMIN_PORT, loopback by default): Prometheus metrics, the /admin API behind ADMIN_TOKEN, the
 * codec server behind CODEC_TOKEN, and
 * the probes again so one port can serve a sidecar.
 */
export function createOperatorApp(deps: AppDeps): Express {
  const app = baseApp();
  probes(app, deps.starter, deps.lifecycle);
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  const admin = adminRouter(deps);
  if (admin) app.use('/admin', admin);
  const codec = codecRouter(deps);
  if (codec) app.use('/codec', codec);
  const connections = connectionsRouter(deps);
  if (connections) app.use('/connections', connections);
  return finish(app, deps);
}
