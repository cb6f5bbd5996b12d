import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config, SourceName } from '../../config';
import type { Logger } from '../../logger';
import type { Delivery, RegisteredSource, Translation } from '../sources';
import { HttpError, sendHttpError, sendJson } from '../errors';
import { type ApiMetrics, apiVersionLabel, closedLabel } from '../metrics';
import type { Lifecycle } from '../shutdown';
import type { WorkflowStarter } from '../workflow-starter';
import { inWebhookSpan } from '../tracing';
import { businessKeyAttribute } from '../../tracing';
import { trace } from '@opentelemetry/api';
import { readBody } from './body';
import { answerFor, bounded, contentProblem, reasonOf, verifiedTranslation } from './checks';
import { startFailure, startPlan } from './start';

// POST /webhooks/:source: admit, check the headers and read the body (./checks, ./body), verify and translate, start
// the flow (./start), answer. Slow work never happens here.
//
// It is a plain Node handler in front of the Express app, not an Express route: Express's own dispatch (its request
// and response prototypes, the router) cost more per delivery than everything the ingress itself does, signature
// included, and a refused delivery is the common case under attack (P3 in docs/performance.md).

export interface WebhookDeps {
  config: Config;
  logger: Logger;
  starter: WorkflowStarter;
  metrics: ApiMetrics;
  sources: Map<SourceName, RegisteredSource>;
  /** Shutdown state: while draining, every answer asks the caller to close its connection. */
  lifecycle?: Lifecycle;
}

/** Takes the request and answers it when it is a delivery; returns false for anything else, which it leaves alone. */
export type WebhookIngress = (req: IncomingMessage, res: ServerResponse) => boolean;

const PREFIX = '/webhooks/';

/**
 * The still-encoded `:source` of a `/webhooks/:source` path, routed as Express routes it: the prefix in any case, an
 * optional trailing slash, a query string ignored. Undefined for any other path.
 */
function webhookSourceOf(url: string): string | undefined {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path.length <= PREFIX.length) return undefined;
  if (!path.startsWith(PREFIX) && path.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return undefined;
  const rest = path.endsWith('/') ? path.slice(PREFIX.length, -1) : path.slice(PREFIX.length);
  return rest === '' || rest.includes('/') ? undefined : rest;
}

export function webhookIngress(deps: WebhookDeps): WebhookIngress {
  const { config, logger, starter, metrics, sources, lifecycle } = deps;

  // Admission: past `maxInFlight` deliveries at once, a start waits behind the others and an overloaded process
  // queues deliveries for longer than any sender waits (a 30 s burst at 5 × the sustained rate held answers for two
  // minutes: docs/performance.md, P11). The rest are answered 503 at once, before their body is read, and resent.
  const maxInFlight = config.http.maxInFlight;
  let inFlight = 0;
  const overloaded = new HttpError(
    503,
    'overloaded',
    `this ingress is working on ${maxInFlight} deliveries; nothing was accepted, retry shortly`,
    {},
    { 'Retry-After': '1' },
  );
  const release = () => {
    inFlight -= 1;
  };

  // Every refusal of a known source is counted, with a reason from a closed set, and answered with what the sender
  // must fix. Anything that is not a refusal is a bug: rethrown, and answered 500 by `failed`.
  const refuse = (res: ServerResponse, source: SourceName, err: unknown): void => {
    const refusal = answerFor(err);
    if (!refusal) throw err;
    metrics.webhooks.inc({ source, event_type: 'unknown', outcome: 'rejected', reason: reasonOf(err, refusal) });
    sendHttpError(res, refusal);
  };
  const failed = (res: ServerResponse, name: string, err: unknown): void => {
    if (err instanceof HttpError && !res.headersSent) return sendHttpError(res, err);
    logger.error({ err, source: bounded(name, 64) }, 'unhandled error in a webhook delivery');
    if (res.headersSent) res.destroy();
    else sendJson(res, 500, { error: 'internal', message: 'internal error' });
  };

  const deliver = async (req: IncomingMessage, res: ServerResponse, name: SourceName, source: RegisteredSource) => {
    // Everything decided from the headers comes before a body byte is read.
    try {
      contentProblem(req.headersDistinct);
    } catch (err) {
      return refuse(res, name, err);
    }
    let rawBody: Buffer;
    try {
      rawBody = await readBody(req, config.http.maxBodyBytes);
    } catch (err) {
      return refuse(res, name, err);
    }
    const endTimer = metrics.latency.startTimer({ source: name });
    const answer = (status: number, body: unknown) => {
      sendJson(res, status, body);
      endTimer({ status });
    };
    const delivery: Delivery = { rawBody, headers: req.headersDistinct, receivedAt: new Date() };
    let translation: Translation;
    try {
      translation = verifiedTranslation(name, source, delivery);
    } catch (err) {
      return refuse(res, name, err);
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
      logger.info({ source: name, eventId, eventType: shownType }, 'webhook ignored: no flow handles this event type');
      return answer(200, { status: 'ignored', eventType: shownType });
    }

    let plan;
    try {
      plan = startPlan(config, name, { eventId, dedupeKey, event, drift, shownVersion });
    } catch (err) {
      return refuse(res, name, err);
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
  };

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const encoded = webhookSourceOf(req.url ?? '');
    if (encoded === undefined) return false;
    if (lifecycle?.draining()) res.setHeader('Connection', 'close');
    let name: string;
    try {
      name = decodeURIComponent(encoded);
    } catch {
      sendHttpError(res, new HttpError(400, 'bad_request', 'the source in the path is not valid percent-encoding'));
      return true;
    }
    const source = sources.get(name as SourceName);
    if (inFlight >= maxInFlight) {
      const label = source ? name : 'unknown';
      metrics.webhooks.inc({ source: label, event_type: 'unknown', outcome: 'rejected', reason: 'overloaded' });
      sendHttpError(res, overloaded);
      return true;
    }
    inFlight += 1;
    // 'close' follows 'finish' on every response, and is the only event when the connection drops first.
    res.once('close', release);
    inWebhookSpan(req, res, source ? name : 'unknown', async () => {
      if (!source) throw new HttpError(404, 'unknown_source', `no webhook source "${bounded(name, 64)}"`);
      await deliver(req, res, name as SourceName, source);
    }).catch((err: unknown) => failed(res, name, err));
    return true;
  };
}
