import express, { type Request, type Router } from 'express';
import type { Client } from '@temporalio/client';
import { createSharedWindows } from '../../kit/shared-gate';
import { ThrottleGate } from '../../kit/throttle';
import type { Config } from '../../config';
import { queueFor } from '../../contracts/task-queues';
import type { Logger } from '../../logger';
import { startApiSpan } from '../tracing';
import { authenticate, rateLimit } from './auth';
import { createCommandRunner } from './command-runner';
import { commandHandlers } from './commands';
import { contactReadHandler, createContactReader } from './contact-reads';
import { openApiDocument, routeOfPath, routerFromTable } from './openapi';
import { operationHandler } from './operations';

export interface ApiV1Deps {
  config: Config;
  logger: Logger;
  client: Client;
}

/** The route a request matched, as a template: span names never carry an order id or an email. */
function routeTemplate(req: Request): string {
  return routeOfPath(`/api/v1${req.path}`)?.path ?? '/api/v1/*';
}

/** /api/v1 for the configured API clients; undefined when the API is off (API_ENABLED=false). */
export function apiV1Router(deps: ApiV1Deps): Router | undefined {
  const api = deps.config.api;
  if (!api) return undefined;
  const { temporal } = deps.config;
  const links = { uiUrl: temporal.uiUrl, namespace: temporal.namespace };
  const runner = createCommandRunner(deps.client, {
    prefix: temporal.taskQueuePrefix,
    taskQueue: queueFor(temporal.taskQueuePrefix, 'orchestration'),
    syncWaitMs: api.syncWaitMs,
  });
  // The reads share the workers' 429 windows (the throttle-gate workflow of each system): a window any replica was
  // told holds the API's reads off that owner, and a window the API is told holds the workers.
  const gate = new ThrottleGate({
    headroomPercent: deps.config.downstream.headroomPercent,
    shared: createSharedWindows({
      client: deps.client,
      prefix: temporal.taskQueuePrefix,
      taskQueue: queueFor(temporal.taskQueuePrefix, 'orchestration'),
      logger: deps.logger,
      timeoutMs: Math.min(api.readTimeoutMs, 2000),
    }),
  });
  const document = openApiDocument();
  const routes = routerFromTable(
    {
      openApi: ({ res }) => void res.json(document),
      getContact: contactReadHandler(createContactReader(deps.config, gate)),
      getOperation: operationHandler({ runner, links }),
      ...commandHandlers({ runner, links, logger: deps.logger }),
    },
    { guard: [authenticate(api.clients), rateLimit()], maxBodyBytes: api.maxBodyBytes },
  );
  return express.Router().use(startApiSpan(routeTemplate), routes);
}
