import { HttpError } from '../errors';
import { type Links, operationBody, RETRY_AFTER_SECONDS, workflowIdOf } from './answers';
import { callerOf } from './auth';
import { type CommandRunner, orUnavailable } from './command-runner';
import type { Handlers } from './openapi';

/** GET /operations/{id}: a command's state, for its own client only (another client's id is a 404). */
export function operationHandler(deps: { runner: CommandRunner; links: Links }): Handlers['getOperation'] {
  return async ({ params, res }) => {
    const workflowId = workflowIdOf(params.id);
    const notFound = new HttpError(404, 'not_found', 'no such operation for this API client');
    if (!deps.runner.owns(workflowId, callerOf(res).name)) throw notFound;
    const outcome = await orUnavailable(() => deps.runner.operation(workflowId));
    if (!outcome || outcome.kind === 'reused') throw notFound;
    if (outcome.kind === 'running') res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    res.json(operationBody(outcome, deps.links));
  };
}
