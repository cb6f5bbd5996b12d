import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { HttpError } from '../errors';
import { answerCommand, idempotencyKeyOf, type Links, parseOr400 } from './answers';
import { callerOf, requireScope } from './auth';
import { bodyHash } from './canonical';
import type { CommandRunner } from './command-runner';
import { invoiceRequestSchema, orderIdSchema } from './schemas';

export interface CommandDeps {
  runner: CommandRunner;
  links: Links;
  maxBodyBytes: number;
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
  const json = [requireJson, express.json({ limit: deps.maxBodyBytes, type: () => true })];

  router.post('/orders/:orderId/invoice', requireScope('orders:write'), ...json, async (req, res) => {
    const key = idempotencyKeyOf(req);
    const orderId = parseOr400(orderIdSchema, req.params.orderId, 'orderId');
    const body = parseOr400(invoiceRequestSchema, req.body);
    const client = callerOf(res).name;
    const outcome = await deps.runner.run({
      client,
      key,
      workflowType: 'invoiceOrder',
      input: { client, bodyHash: bodyHash('invoiceOrder', { orderId, ...body }), order: { id: orderId, ...body } },
      eventType: 'InvoiceRequested',
      businessKey: orderId,
    });
    answerCommand(res, outcome, deps.links);
  });

  return router;
}
