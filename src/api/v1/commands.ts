import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { emailHash, type Logger } from '../../logger';
import { HttpError } from '../errors';
import { resumeRequestSpan } from '../tracing';
import { answerCommand, idempotencyKeyOf, type Links, parseOr400 } from './answers';
import { callerOf, requireScope } from './auth';
import { bodyHash } from './canonical';
import { type CommandOutcome, type CommandRunner, orUnavailable } from './command-runner';
import { CONTACT_OWNERSHIP, type ContactField } from '../../domain/ownership';
import { contactWriteSchema, invoiceRequestSchema, orderIdSchema } from './schemas';

export interface CommandDeps {
  logger: Logger;
  runner: CommandRunner;
  links: Links;
  maxBodyBytes: number;
}

function logOutcome(logger: Logger, outcome: CommandOutcome): void {
  const fields = { workflowId: outcome.workflowId, outcome: outcome.kind };
  if (outcome.kind === 'failed') logger.warn({ ...fields, failure: outcome.failure }, 'api command failed');
  else logger.info({ ...fields, ...(outcome.kind === 'succeeded' ? { first: outcome.first } : {}) }, 'api command');
}

/** 415 unless the body is JSON, before a byte of it is read. */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const type = req.header('content-type');
  next(
    type && /^application\/json\s*(;|$)/i.test(type)
      ? undefined
      : new HttpError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json'),
  );
}

/** The command routes: each validates, hashes its canonical request, and runs its workflow (command-runner). */
export function commandsRouter(deps: CommandDeps): Router {
  const router = express.Router();
  const json = [requireJson, express.json({ limit: deps.maxBodyBytes, type: () => true }), resumeRequestSpan];

  router.post('/orders/:orderId/invoice', requireScope('orders:write'), ...json, async (req, res) => {
    const key = idempotencyKeyOf(req);
    const orderId = parseOr400(orderIdSchema, req.params.orderId, 'orderId');
    const body = parseOr400(invoiceRequestSchema, req.body);
    const client = callerOf(res).name;
    const outcome = await orUnavailable(() =>
      deps.runner.run({
        client,
        key,
        workflowType: 'invoiceOrder',
        input: { client, bodyHash: bodyHash('invoiceOrder', { orderId, ...body }), order: { id: orderId, ...body } },
        eventType: 'InvoiceRequested',
        businessKey: orderId,
      }),
    );
    logOutcome(deps.logger, outcome);
    answerCommand(res, outcome, deps.links);
  });

  router.post('/contacts', requireScope('contacts:write'), ...json, async (req, res) => {
    const key = idempotencyKeyOf(req);
    const { email: rawEmail, ...values } = parseOr400(contactWriteSchema, req.body);
    const caller = callerOf(res);
    if (!caller.system) {
      throw new HttpError(403, 'no_system', `API client ${caller.name} speaks for no system: set its "system"`);
    }
    // The email is the key the write is matched on; every other field must be the caller's system's own.
    const notOwned = (Object.keys(values) as ContactField[]).filter(
      (f) => CONTACT_OWNERSHIP[f].owner !== caller.system,
    );
    if (notOwned.length) {
      throw new HttpError(
        403,
        'field_not_owned',
        `${notOwned.join(', ')} ${notOwned.length > 1 ? 'are' : 'is'} not owned by ${caller.system}, which ` +
          `${caller.name} writes for; write ${notOwned.length > 1 ? 'them' : 'it'} in the owning system`,
        { field: notOwned[0], fields: notOwned },
      );
    }
    if (Object.keys(values).length === 0) {
      throw new HttpError(400, 'invalid_request', `send at least one field ${caller.system} owns`, { field: '(body)' });
    }
    const email = rawEmail.toLowerCase();
    const outcome = await orUnavailable(() =>
      deps.runner.run({
        client: caller.name,
        key,
        workflowType: 'upsertContact',
        input: {
          client: caller.name,
          bodyHash: bodyHash('upsertContact', { email, ...values }),
          system: caller.system,
          email,
          values,
        },
        eventType: 'ContactUpsertRequested',
        // Search attributes are never encrypted: the contact is found by the same hash its log lines carry.
        businessKey: emailHash(email),
      }),
    );
    logOutcome(deps.logger, outcome);
    answerCommand(res, outcome, deps.links);
  });

  return router;
}
