import type { Config, SourceName } from '../../config';
import { flowOf } from '../../registry';
import {
  API_VERSION_DRIFT,
  BUSINESS_KEY,
  EVENT_ID,
  EVENT_TYPE,
  INTEGRATION_STATUS,
  SOURCE,
} from '../../domain/search-attributes';
import type { CanonicalEvent } from '../../domain/events';
import type { Logger } from '../../logger';
import { isKeyword, PayloadError } from '../sources';
import { queueFor } from '../../contracts/task-queues';
import { webhookWorkflowId } from '../../contracts/workflow-ids';
import { HttpError } from '../errors';
import type { ApiMetrics } from '../metrics';
import { type StartRequest, TemporalRefusedError, TemporalUnavailableError } from '../workflow-starter';

// What the ingress starts for an accepted delivery, and what it answers when Temporal does not take it.

export interface StartPlan {
  workflowId: string;
  businessKey: string;
  request: StartRequest;
}

/**
 * The start of the flow a delivery's event triggers: its id from the event id (so Temporal deduplicates), its type
 * and business key from the registry, the search attributes an operator filters on. Throws a PayloadError (a 400)
 * when the id or business key is not a keyword Temporal can index.
 */
export function startPlan(
  config: Config,
  source: SourceName,
  delivery: { eventId: string; dedupeKey?: string; event: CanonicalEvent; drift: boolean; shownVersion?: string },
): StartPlan {
  const { eventId, event, drift, shownVersion } = delivery;
  const prefix = config.temporal.taskQueuePrefix;
  const workflowId = webhookWorkflowId(prefix, source, delivery.dedupeKey ?? eventId);
  const { workflowType, businessKey, startOptions } = flowOf(event);
  if (!isKeyword(eventId)) throw new PayloadError('eventId', 'must be visible text, at most 128');
  if (!isKeyword(businessKey)) throw new PayloadError('businessKey', 'must be visible text, at most 128');
  return {
    workflowId,
    businessKey,
    request: {
      workflowType,
      workflowId,
      taskQueue: queueFor(prefix, 'orchestration'),
      args: startOptions === undefined ? [event] : [event, startOptions({ production: config.production })],
      typedSearchAttributes: [
        { key: SOURCE, value: source },
        { key: EVENT_TYPE, value: event.type },
        { key: EVENT_ID, value: eventId },
        { key: BUSINESS_KEY, value: businessKey },
        { key: INTEGRATION_STATUS, value: 'processing' },
        ...(drift ? [{ key: API_VERSION_DRIFT, value: true }] : []),
      ],
      memo: shownVersion ? { apiVersion: shownVersion, apiVersionKnown: !drift } : undefined,
    },
  };
}

/** The answer when the start failed: counted, logged, and never a 4xx (a provider drops a delivery it got one for). */
export function startFailure(
  err: unknown,
  context: { source: SourceName; workflowId: string; metrics: ApiMetrics; logger: Logger },
): HttpError {
  const { source, workflowId, metrics, logger } = context;
  if (err instanceof TemporalRefusedError) {
    // Refused by this server's config, not by anything the sender can change, so it stays retried until an operator
    // acts.
    metrics.startErrors.inc({ source, reason: 'refused' });
    logger.error(
      { err, source, workflowId, refusal: err.refusal },
      'start refused by Temporal: its config refuses this workflow; the sender will retry',
    );
    return new HttpError(500, 'start_refused', `Temporal refused to start the flow: ${err.refusal}`, { workflowId });
  }
  const reason = err instanceof TemporalUnavailableError ? 'unavailable' : 'error';
  metrics.startErrors.inc({ source, reason });
  logger.error({ err, source, workflowId }, 'could not start workflow; the sender will retry');
  return new HttpError(
    503,
    'temporal_unavailable',
    'the event was not accepted; retry later',
    { workflowId },
    { 'Retry-After': '5' },
  );
}
