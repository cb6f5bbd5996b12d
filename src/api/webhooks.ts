import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Config, SourceName } from '../config';
import { businessKeyOf } from '../domain/events';
import { FLOWS } from '../integrations/workflows';
import {
  API_VERSION_DRIFT,
  BUSINESS_KEY,
  EVENT_ID,
  EVENT_TYPE,
  INTEGRATION_STATUS,
  SOURCE,
} from '../domain/search-attributes';
import type { Logger } from '../logger';
import { PayloadError, SignatureError, type RegisteredSource } from '../sources';
import { queueFor } from '../contracts/task-queues';
import { HttpError } from './errors';
import type { ApiMetrics } from './metrics';
import { TemporalUnavailableError, type WorkflowStarter } from './workflow-starter';

export interface WebhookDeps {
  config: Config;
  logger: Logger;
  starter: WorkflowStarter;
  metrics: ApiMetrics;
  sources: Map<SourceName, RegisteredSource>;
}

function reject(metrics: ApiMetrics, source: string, reason: string, err: HttpError): never {
  metrics.webhooks.inc({ source, event_type: 'unknown', outcome: 'rejected', reason });
  throw err;
}

// Rejects anything that is not JSON before a single body byte is read.
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const type = req.headers['content-type'];
  if (!type || !/^application\/json\s*(;|$)/i.test(type.trim())) {
    next(new HttpError(415, 'unsupported_media_type', 'send the webhook as Content-Type: application/json'));
    return;
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
  if (encoding !== 'identity') {
    next(new HttpError(415, 'unsupported_encoding', `Content-Encoding ${encoding} is not accepted; send identity`));
    return;
  }
  next();
}

function safeJsonParse(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
}

/** POST /webhooks/:source — verify, translate, start the flow, answer. Slow work never happens here. */
export function webhookRouter(deps: WebhookDeps): Router {
  const { config, logger, starter, metrics, sources } = deps;
  const router = express.Router();

  router.post(
    '/:source',
    (req, _res, next) => {
      if (!sources.has(req.params.source as SourceName)) {
        next(new HttpError(404, 'unknown_source', `no webhook source "${req.params.source}"`));
        return;
      }
      next();
    },
    requireJson,
    express.raw({ type: () => true, limit: config.http.maxBodyBytes, inflate: false }),
    async (req: Request, res: Response) => {
      const name = req.params.source as SourceName;
      const endTimer = metrics.latency.startTimer({ source: name });
      const { adapter, secrets } = sources.get(name)!;
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const delivery = { rawBody, headers: req.headers, receivedAt: new Date() };

      try {
        adapter.verify(delivery, secrets);
      } catch (err) {
        if (err instanceof SignatureError) {
          reject(metrics, name, `signature_${err.reason}`, new HttpError(401, 'invalid_signature', err.message));
        }
        throw err;
      }
      if (rawBody.length === 0) reject(metrics, name, 'empty_body', new HttpError(400, 'empty_body', 'body is empty'));
      const body = safeJsonParse(rawBody);
      let translation;
      try {
        translation = adapter.translate(body, delivery);
      } catch (err) {
        if (err instanceof PayloadError) {
          reject(
            metrics,
            name,
            'invalid_payload',
            new HttpError(400, 'invalid_payload', err.message, { field: err.field }),
          );
        }
        throw err;
      }

      const { eventId, eventType, apiVersion, event } = translation;
      const drift = apiVersion !== undefined && !adapter.knownApiVersions.includes(apiVersion);
      if (drift) {
        metrics.apiVersionDrift.inc({ source: name, api_version: apiVersion });
        logger.warn(
          { source: name, eventId, eventType, apiVersion, known: adapter.knownApiVersions },
          'webhook API version not declared by the adapter; accepted, but the provider may have changed its format',
        );
      }
      if (!event) {
        metrics.webhooks.inc({ source: name, event_type: eventType, outcome: 'ignored', reason: '' });
        logger.info({ source: name, eventId, eventType }, 'webhook ignored: no flow handles this event type');
        res.status(200).json({ status: 'ignored', eventType });
        endTimer({ status: 200 });
        return;
      }

      const workflowId = `${name}:${eventId}`;
      const businessKey = businessKeyOf(event);
      let result;
      try {
        result = await starter.start({
          workflowType: FLOWS[event.type],
          workflowId,
          taskQueue: queueFor(config.temporal.taskQueuePrefix, 'orchestration'),
          args: [event],
          typedSearchAttributes: [
            { key: SOURCE, value: name },
            { key: EVENT_TYPE, value: event.type },
            { key: EVENT_ID, value: eventId },
            { key: BUSINESS_KEY, value: businessKey },
            { key: INTEGRATION_STATUS, value: 'processing' },
            ...(drift ? [{ key: API_VERSION_DRIFT, value: true }] : []),
          ],
          memo: apiVersion ? { apiVersion, apiVersionKnown: !drift } : undefined,
        });
      } catch (err) {
        const reason = err instanceof TemporalUnavailableError ? 'unavailable' : 'error';
        metrics.startErrors.inc({ source: name, reason });
        logger.error({ err, source: name, workflowId }, 'could not start workflow; the sender will retry');
        throw new HttpError(
          503,
          'temporal_unavailable',
          'the event was not accepted; retry later',
          { workflowId },
          { 'Retry-After': '5' },
        );
      }
      metrics.webhooks.inc({ source: name, event_type: eventType, outcome: result.status, reason: '' });
      logger.info({ source: name, eventType, businessKey, ...result }, `webhook ${result.status}`);
      res.status(result.status === 'accepted' ? 202 : 200).json(result);
      endTimer({ status: result.status === 'accepted' ? 202 : 200 });
    },
  );
  return router;
}
