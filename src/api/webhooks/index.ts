import express, { type Request, type Response, type Router } from 'express';
import type { Config, SourceName } from '../../config';
import type { Logger } from '../../logger';
import type { Delivery, RegisteredSource, Translation } from '../sources';
import { HttpError, sendHttpError } from '../errors';
import { type ApiMetrics, apiVersionLabel, closedLabel } from '../metrics';
import type { WorkflowStarter } from '../workflow-starter';
import { resumeRequestSpan, startWebhookSpan } from '../tracing';
import { businessKeyAttribute } from '../../tracing';
import { trace } from '@opentelemetry/api';
import { answerFor, bounded, reasonOf, requireJson, verifiedTranslation } from './checks';
import { startFailure, startPlan } from './start';

// POST /webhooks/:source: verify (./checks), translate, start the flow (./start), answer. Slow work never happens here.

export interface WebhookDeps {
  config: Config;
  logger: Logger;
  starter: WorkflowStarter;
  metrics: ApiMetrics;
  sources: Map<SourceName, RegisteredSource>;
}

export function webhookRouter(deps: WebhookDeps): Router {
  const { config, logger, starter, metrics, sources } = deps;
  const router = express.Router();

  // Admission: past `maxInFlight` deliveries at once, a start waits behind the others and an overloaded process
  // queues deliveries for longer than any sender waits (a 30 s burst at 5 × the sustained rate held answers for two
  // minutes: docs/performance.md, P11). The rest are answered 503 at once, before their body is read, and resent.
  const maxInFlight = config.http.maxInFlight;
  let inFlight = 0;
  const admit = (req: Request, res: Response, next: () => void) => {
    if (inFlight >= maxInFlight) {
      const source = sources.has(req.params.source as SourceName) ? String(req.params.source) : 'unknown';
      metrics.webhooks.inc({ source, event_type: 'unknown', outcome: 'rejected', reason: 'overloaded' });
      sendHttpError(
        res,
        new HttpError(
          503,
          'overloaded',
          `this ingress is working on ${maxInFlight} deliveries; nothing was accepted, retry shortly`,
          {},
          { 'Retry-After': '1' },
        ),
      );
      return;
    }
    inFlight += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight -= 1;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };

  router.post(
    '/:source',
    admit,
    startWebhookSpan([...sources.keys()]),
    (req, _res, next) => {
      if (!sources.has(req.params.source as SourceName)) {
        next(new HttpError(404, 'unknown_source', `no webhook source "${bounded(String(req.params.source), 64)}"`));
        return;
      }
      next();
    },
    requireJson(metrics),
    express.raw({ type: () => true, limit: config.http.maxBodyBytes, inflate: false }),
    resumeRequestSpan,
    async (req: Request, res: Response) => {
      const name = req.params.source as SourceName;
      const source = sources.get(name)!;
      const endTimer = metrics.latency.startTimer({ source: name });
      const answer = (status: number, body: unknown) => {
        res.status(status).json(body);
        endTimer({ status });
      };
      // Every refusal is counted, with a reason from a closed set, and answered here with what the sender must fix,
      // rather than thrown to the app's error handler: a refused delivery is the common case under attack, and the
      // trip through Express's error chain was a measurable part of its cost (P3). Anything else is a bug: rethrown.
      const refuse = (err: unknown): void => {
        const refusal = answerFor(err);
        if (!refusal) throw err;
        metrics.webhooks.inc({
          source: name,
          event_type: 'unknown',
          outcome: 'rejected',
          reason: reasonOf(err, refusal),
        });
        sendHttpError(res, refusal);
      };

      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const delivery: Delivery = { rawBody, headers: req.headersDistinct, receivedAt: new Date() };
      let translation: Translation;
      try {
        translation = verifiedTranslation(name, source, delivery);
      } catch (err) {
        return refuse(err);
      }

      const { eventId, eventType, apiVersion, event, dedupeKey } = translation;
      // Labels, memo fields, search attributes and log fields taken from the delivery are bounded here, whatever an
      // adapter lets through: a topic or API version is anyone's to choose on an unsigned header.
      const { adapter } = source;
      const eventTypeLabel = closedLabel(eventType, source.eventTypes);
      const shownType = bounded(eventType, 128);
      const shownVersion = apiVersion === undefined ? undefined : bounded(apiVersion, 64);
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
        return answer(200, { status: 'ignored', eventType: shownType });
      }

      let plan;
      try {
        plan = startPlan(config, name, { eventId, dedupeKey, event, drift, shownVersion });
      } catch (err) {
        return refuse(err);
      }
      const { workflowId, businessKey } = plan;
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
        result = await starter.start(plan.request);
      } catch (err) {
        throw startFailure(err, { source: name, workflowId, metrics, logger });
      }
      span?.setAttributes({ 'switchyard.outcome': result.status, 'temporal.run.id': result.runId });
      metrics.webhooks.inc({ source: name, event_type: eventTypeLabel, outcome: result.status, reason: '' });
      logger.info({ source: name, eventType: shownType, businessKey, ...result }, `webhook ${result.status}`);
      answer(result.status === 'accepted' ? 202 : 200, result);
    },
  );
  return router;
}
