import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Config, SourceName } from '../config';
import { flowOf } from '../registry';
import {
  API_VERSION_DRIFT,
  BUSINESS_KEY,
  EVENT_ID,
  EVENT_TYPE,
  INTEGRATION_STATUS,
  SOURCE,
} from '../domain/search-attributes';
import type { Logger } from '../logger';
import {
  type Delivery,
  headerOnce,
  isKeyword,
  PayloadError,
  type RegisteredSource,
  RepeatedHeaderError,
  SignatureError,
} from './sources';
import { queueFor } from '../contracts/task-queues';
import { webhookWorkflowId } from '../contracts/workflow-ids';
import { HttpError, sendHttpError } from './errors';
import { type ApiMetrics, apiVersionLabel, closedLabel } from './metrics';
import { TemporalRefusedError, TemporalUnavailableError, type WorkflowStarter } from './workflow-starter';
import { resumeRequestSpan, startWebhookSpan } from './tracing';
import { businessKeyAttribute, inSpanSync } from '../tracing';
import { trace } from '@opentelemetry/api';

export interface WebhookDeps {
  config: Config;
  logger: Logger;
  starter: WorkflowStarter;
  metrics: ApiMetrics;
  sources: Map<SourceName, RegisteredSource>;
}

/** Text from a request, made safe to log, echo or store: visible ASCII only (others become `?`), at most `max`. */
function printable(value: string, max: number): string {
  const visible = value.replace(/[^\x21-\x7e]/g, '?');
  return visible.length > max ? `${visible.slice(0, max - 3)}...` : visible;
}

/** The answer for an error an adapter or a header check throws; undefined for anything else (a bug: 500). */
function answerFor(err: unknown): HttpError | undefined {
  if (err instanceof SignatureError) return new HttpError(401, 'invalid_signature', err.message);
  if (err instanceof RepeatedHeaderError) {
    return new HttpError(400, 'repeated_header', err.message, { header: err.header });
  }
  if (err instanceof PayloadError) return new HttpError(400, 'invalid_payload', err.message, { field: err.field });
  return undefined;
}

/** The metric reason of a refused delivery: the answer's code, or the signature check that failed. */
function reasonOf(err: unknown, answer: HttpError): string {
  return err instanceof SignatureError ? `signature_${err.reason}` : answer.code;
}

// Rejects anything that is not JSON before a single body byte is read. (The app's error handler counts 415s.)
function requireJson(metrics: ApiMetrics) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    try {
      const type = headerOnce(req.headersDistinct, 'content-type');
      if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
        next(new HttpError(415, 'unsupported_media_type', 'send the webhook as Content-Type: application/json'));
        return;
      }
      // Present but blank is not identity: only an absent header or "identity" says the body is the signed bytes.
      const encoding = headerOnce(req.headersDistinct, 'content-encoding')?.toLowerCase() ?? '';
      if (req.headersDistinct['content-encoding'] && encoding !== 'identity') {
        const shown = encoding ? printable(encoding, 64) : '(empty)';
        next(new HttpError(415, 'unsupported_encoding', `Content-Encoding ${shown} is not accepted; send identity`));
        return;
      }
      next();
    } catch (err) {
      const answer = answerFor(err);
      if (answer) {
        const source = String(req.params.source);
        metrics.webhooks.inc({ source, event_type: 'unknown', outcome: 'rejected', reason: answer.code });
      }
      next(answer ?? err);
    }
  };
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
    startWebhookSpan([...sources.keys()]),
    (req, _res, next) => {
      if (!sources.has(req.params.source as SourceName)) {
        next(new HttpError(404, 'unknown_source', `no webhook source "${printable(String(req.params.source), 64)}"`));
        return;
      }
      next();
    },
    requireJson(metrics),
    express.raw({ type: () => true, limit: config.http.maxBodyBytes, inflate: false }),
    resumeRequestSpan,
    async (req: Request, res: Response) => {
      const name = req.params.source as SourceName;
      const endTimer = metrics.latency.startTimer({ source: name });
      const { adapter, secrets, eventTypes, singleHeaders } = sources.get(name)!;
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const delivery: Delivery = { rawBody, headers: req.headersDistinct, receivedAt: new Date() };
      // Every refusal is counted, with a reason from a closed set, and answered here with what the sender must fix,
      // rather than thrown to the app's error handler: a refused delivery is the common case under attack, and the
      // trip through Express's error chain was a measurable part of its cost (P3). Anything else is a bug: rethrown.
      const refuse = (err: unknown): void => {
        const answer = err instanceof HttpError ? err : answerFor(err);
        if (!answer) throw err;
        const reason = reasonOf(err, answer);
        metrics.webhooks.inc({ source: name, event_type: 'unknown', outcome: 'rejected', reason });
        sendHttpError(res, answer);
      };

      let translation;
      try {
        // Whatever the adapter reads, every header its scheme is declared with must be unambiguous.
        for (const header of singleHeaders) headerOnce(delivery.headers, header);
        inSpanSync('verify signature', { 'switchyard.source': name }, () => adapter.verify(delivery, secrets));
        if (rawBody.length === 0) throw new HttpError(400, 'empty_body', 'body is empty');
        translation = adapter.translate(safeJsonParse(rawBody), delivery);
      } catch (err) {
        refuse(err);
        return;
      }

      const { eventId, eventType, apiVersion, event, dedupeKey } = translation;
      // Labels, memo fields, search attributes and log fields taken from the delivery are bounded here, whatever an
      // adapter lets through: a topic or API version is anyone's to choose on an unsigned header.
      const eventTypeLabel = closedLabel(eventType, eventTypes);
      const shownType = printable(eventType, 128);
      const shownVersion = apiVersion === undefined ? undefined : printable(apiVersion, 64);
      const drift = apiVersion !== undefined && !adapter.knownApiVersions.includes(apiVersion);
      if (drift) {
        metrics.apiVersionDrift.inc({
          source: name,
          api_version: apiVersionLabel(apiVersion, adapter.knownApiVersions),
        });
        logger.warn(
          { source: name, eventId, eventType: shownType, apiVersion: shownVersion, known: adapter.knownApiVersions },
          'webhook API version not declared by the adapter; accepted, but the provider may have changed its format',
        );
      }
      if (!event) {
        metrics.webhooks.inc({ source: name, event_type: eventTypeLabel, outcome: 'ignored', reason: '' });
        logger.info(
          { source: name, eventId, eventType: shownType },
          'webhook ignored: no flow handles this event type',
        );
        res.status(200).json({ status: 'ignored', eventType: shownType });
        endTimer({ status: 200 });
        return;
      }

      const workflowId = webhookWorkflowId(config.temporal.taskQueuePrefix, name, dedupeKey ?? eventId);
      const { workflowType, businessKey } = flowOf(event);
      if (!isKeyword(eventId)) return refuse(new PayloadError('eventId', 'must be visible text, at most 128'));
      if (!isKeyword(businessKey)) return refuse(new PayloadError('businessKey', 'must be visible text, at most 128'));
      // The answer's span: what the event is, never its contents (an email business key is hashed).
      const span = trace.getActiveSpan();
      span?.setAttributes({
        'switchyard.event.type': shownType,
        'switchyard.event.id': eventId,
        'switchyard.business_key': businessKeyAttribute(businessKey),
        'temporal.workflow.id': workflowId,
      });
      let result;
      try {
        result = await starter.start({
          workflowType,
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
          memo: shownVersion ? { apiVersion: shownVersion, apiVersionKnown: !drift } : undefined,
        });
      } catch (err) {
        if (err instanceof TemporalRefusedError) {
          // Not a 4xx: a provider drops a delivery it got a 4xx for (or disables the endpoint). Refused by this
          // server's config, not by anything the sender can change, so it stays retried until an operator acts.
          metrics.startErrors.inc({ source: name, reason: 'refused' });
          logger.error(
            { err, source: name, workflowId, refusal: err.refusal },
            'start refused by Temporal: its config refuses this workflow; the sender will retry',
          );
          throw new HttpError(500, 'start_refused', `Temporal refused to start the flow: ${err.refusal}`, {
            workflowId,
          });
        }
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
      span?.setAttributes({ 'switchyard.outcome': result.status, 'temporal.run.id': result.runId });
      metrics.webhooks.inc({ source: name, event_type: eventTypeLabel, outcome: result.status, reason: '' });
      logger.info({ source: name, eventType: shownType, businessKey, ...result }, `webhook ${result.status}`);
      res.status(result.status === 'accepted' ? 202 : 200).json(result);
      endTimer({ status: result.status === 'accepted' ? 202 : 200 });
    },
  );
  return router;
}
