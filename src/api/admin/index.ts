import type { Client } from '@temporalio/client';
import express, { type Router } from 'express';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { OpsContext } from '../../ops/context';
import { auditAttempt, auditOutcome } from './audit';
import { AuthFailureLimiter, authenticate } from './auth';
import { catalogRoutes } from './catalog';
import { credentialRoutes } from './credentials';
import { deadLetterRoutes } from './dead-letters';
import { mapOpsErrors } from './errors';
import { executionRoutes } from './executions';
import { redriveRoutes } from './redrive';

export { AuthFailureLimiter, type AuthFailureLimiterOptions } from './auth';

export interface AdminDeps {
  config: Config;
  logger: Logger;
  client?: Client;
}

/**
 * The operator commands over HTTP, under /admin, behind `Authorization: Bearer <ADMIN_TOKEN>`. Undefined (so the
 * app answers 404 for all of /admin) when no ADMIN_TOKEN is configured or there is no Temporal client.
 *
 * Every call is audited: an `admin attempt` line once authenticated, before it acts, and an `admin outcome` line
 * for every call, refused and failed ones included. A client with 10 failed authentications in a minute gets 429.
 */
export function adminRouter(deps: AdminDeps): Router | undefined {
  const { config, logger, client } = deps;
  if (!config.admin || !client) return undefined;
  const { tokenName } = config.admin;
  const ctx: OpsContext = { client, namespace: client.options.namespace, uiUrl: config.temporal.uiUrl };
  const router = express.Router();

  router.use(auditOutcome(logger));
  router.use(authenticate(config.admin, new AuthFailureLimiter()));
  router.use(express.json({ limit: '64kb' }));
  router.use(auditAttempt(logger));

  executionRoutes(router, ctx, tokenName);
  catalogRoutes(router);
  credentialRoutes(router, config, client);
  redriveRoutes(router, ctx, tokenName, logger);
  deadLetterRoutes(router, ctx, config.temporal.taskQueuePrefix);

  router.use(mapOpsErrors);
  return router;
}
