import { emailHash, type Logger } from '../../logger';
import { HttpError } from '../errors';
import { answerCommand, type Links, waitPreferenceOf } from './answers';
import { callerOf } from './auth';
import { bodyHash } from './canonical';
import { type CommandOutcome, type CommandRunner, orUnavailable } from './command-runner';
import { CONTACT_OWNERSHIP, type ContactField } from '../../domain/ownership';
import type { Handlers } from './openapi';
import type { Request, Response } from 'express';

export interface CommandDeps {
  logger: Logger;
  runner: CommandRunner;
  links: Links;
}

function logOutcome(logger: Logger, outcome: CommandOutcome): void {
  const fields = { workflowId: outcome.workflowId, outcome: outcome.kind };
  if (outcome.kind === 'failed') logger.warn({ ...fields, failure: outcome.failure }, 'api command failed');
  else logger.info({ ...fields, ...(outcome.kind === 'succeeded' ? { first: outcome.first } : {}) }, 'api command');
}

/**
 * The caller's `Prefer: wait`, in ms, when it is applied: a wait up to API_SYNC_WAIT_MS, at least 1 s (a start is a
 * round trip to Temporal; `wait=0` would answer 503 for a start still on its way), and said so in
 * `Preference-Applied`. A longer wait, or none, waits API_SYNC_WAIT_MS.
 */
function appliedWait(req: Request, res: Response, runner: CommandRunner): number | undefined {
  const seconds = waitPreferenceOf(req);
  if (seconds === undefined || seconds * 1000 > runner.syncWaitMs) return undefined;
  const applied = Math.max(1, seconds);
  res.set('Preference-Applied', `wait=${applied}`);
  return applied * 1000;
}

/**
 * The command handlers: each hashes its canonical request and runs its workflow (command-runner). Their routes, the
 * validation of what they receive and every answer they give are declared in openapi.ts.
 */
export function commandHandlers(deps: CommandDeps): Pick<Handlers, 'invoiceOrder' | 'upsertContact'> {
  const invoiceOrder: Handlers['invoiceOrder'] = async ({ params: { orderId }, body, key, req, res }) => {
    const client = callerOf(res).name;
    const waitMs = appliedWait(req, res, deps.runner);
    const outcome = await orUnavailable(() =>
      deps.runner.run({
        client,
        key,
        workflowType: 'invoiceOrder',
        input: { client, bodyHash: bodyHash('invoiceOrder', { orderId, ...body }), order: { id: orderId, ...body } },
        eventType: 'InvoiceRequested',
        businessKey: orderId,
        waitMs,
      }),
    );
    logOutcome(deps.logger, outcome);
    answerCommand(res, outcome, deps.links);
  };

  const upsertContact: Handlers['upsertContact'] = async ({ body, key, req, res }) => {
    const { email: rawEmail, ...values } = body;
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
    const email = rawEmail.toLowerCase();
    const waitMs = appliedWait(req, res, deps.runner);
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
        waitMs,
      }),
    );
    logOutcome(deps.logger, outcome);
    answerCommand(res, outcome, deps.links);
  };

  return { invoiceOrder, upsertContact };
}
