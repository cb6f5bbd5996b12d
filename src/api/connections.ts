import {
  WithStartWorkflowOperation,
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import express, { type Router } from 'express';
import type { Config } from '../config';
import type { Logger } from '../logger';
import {
  beginAuthorizationUpdate,
  completeAuthorizationUpdate,
  CONNECTION_WORKFLOW,
  connectionQuery,
  connectionWorkflowId,
  type ConnectionSummary,
} from '../contracts/connections';
import { queueFor } from '../contracts/task-queues';
import { SYSTEMS } from '../registry';
import type { SystemDeclaration } from '../kit/declare';
import { escapeHtml } from '../html';
import { safeText } from '../redaction';

// OAuth connections on the operator listener (loopback by default, like /admin): an operator authorises a system's
// connection once in a browser, and re-authorises it when it breaks. Everything OAuth-specific (state, the PKCE
// verifier, the client secret, the code exchange) happens in the connection workflow and its activities on the
// system's worker; this router only sends the browser there and back.
//   GET /connections                      every OAuth connection's state (never a token)
//   GET /connections/<system>/authorize   302 to the provider's consent screen
//   GET /connections/<system>/callback    the provider's redirect back: stores the token set

/** Declared systems with a connector that authorises with OAuth2. */
export function oauthSystems(systems: readonly SystemDeclaration[] = SYSTEMS as readonly SystemDeclaration[]) {
  return systems.filter((s) => s.connectors?.some((c) => c.oauth)).map((s) => s.name);
}

function page(title: string, body: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p>`;
}

/** The first string of a query parameter, bounded; anything else (arrays, objects) is absent. */
function param(value: unknown, max = 2048): string | undefined {
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

export function connectionsRouter(deps: {
  config: Config;
  logger: Logger;
  client?: Client;
  systems?: readonly SystemDeclaration[];
}): Router | undefined {
  const { client, config, logger } = deps;
  const names = new Set(oauthSystems(deps.systems));
  if (!client || names.size === 0) return undefined;
  const prefix = config.temporal.taskQueuePrefix;
  const router = express.Router();
  const idOf = (system: string) => connectionWorkflowId(prefix, system);
  router.use((_req, res, next) => {
    // Authorisation pages are never cached or framed.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "default-src 'none'");
    next();
  });

  router.get('/', async (_req, res) => {
    const out: Array<ConnectionSummary | { system: string; status: 'not-authorized' | 'closed' }> = [];
    for (const system of names) {
      try {
        out.push(await client.workflow.getHandle(idOf(system)).query(connectionQuery));
      } catch (err) {
        out.push({ system, status: err instanceof WorkflowNotFoundError ? 'not-authorized' : 'closed' });
      }
    }
    res.json({ connections: out });
  });

  // Only systems with an OAuth connector have a connection.
  router.param('system', (_req, res, next, system: string) => {
    if (names.has(system)) return next();
    res
      .status(404)
      .type('html')
      .send(page('Unknown connection', `${system.slice(0, 60)} has no OAuth connector.`));
  });

  router.get('/:system/authorize', async (req, res) => {
    const system = req.params.system!;
    try {
      const { authorizeUrl } = await client.workflow.executeUpdateWithStart(beginAuthorizationUpdate, {
        args: [],
        startWorkflowOperation: new WithStartWorkflowOperation(CONNECTION_WORKFLOW, {
          workflowId: idOf(system),
          taskQueue: queueFor(prefix, 'orchestration'),
          args: [{ system }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
      logger.info({ system }, 'connection authorisation started');
      res.redirect(302, authorizeUrl);
    } catch (err) {
      logger.error({ err, system }, 'could not start the connection authorisation');
      res
        .status(502)
        .type('html')
        .send(
          page(
            'Could not start the authorisation',
            `Temporal or the ${system} worker did not answer: ${safeText(String((err as Error).message), 200)}`,
          ),
        );
    }
  });

  router.get('/:system/callback', async (req, res) => {
    const system = req.params.system!;
    const callback = {
      code: param(req.query.code),
      state: param(req.query.state, 256),
      error: param(req.query.error, 100),
    };
    try {
      const tenant = await client.workflow
        .getHandle(idOf(system))
        .executeUpdate(completeAuthorizationUpdate, { args: [callback] });
      logger.info({ system, tenantId: tenant.tenantId }, 'connection authorised');
      res
        .type('html')
        .send(page(`Connected: ${system}`, `Switchyard now acts for ${tenant.tenantName} (${tenant.tenantId}).`));
    } catch (err) {
      // A validator's refusal (wrong state, no authorisation in progress, the provider's error) changed nothing.
      const refused = err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError;
      const reason =
        err instanceof WorkflowNotFoundError
          ? 'no authorisation is in progress: open the authorise link again'
          : String((err as WorkflowUpdateFailedError).cause?.message ?? (err as Error).message);
      logger.warn({ system, reason: safeText(reason, 200) }, 'connection callback refused');
      res
        .status(refused ? 400 : 502)
        .type('html')
        .send(page(`Not connected: ${system}`, safeText(reason, 300)));
    }
  });
  return router;
}
