import { WorkflowNotFoundError } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { OpsInputError } from '../../ops/context';
import { PlanChangedError } from '../../ops/redrive';
import { DeadLetterNotFoundError } from '../../ops/sync-dlq';
import { HttpError } from '../errors';
import { auditOf, errorOf } from './audit';

/** The operator commands' own errors, as the answers they stand for; every error is recorded on the call's audit. */
export function mapOpsErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  let mapped = err;
  if (err instanceof PlanChangedError) mapped = new HttpError(409, 'plan_changed', err.message);
  else if (err instanceof DeadLetterNotFoundError) mapped = new HttpError(404, 'dead_letter_not_found', err.message);
  else if (err instanceof OpsInputError) mapped = new HttpError(400, 'invalid_request', err.message);
  else if (err instanceof WorkflowNotFoundError) mapped = new HttpError(404, 'workflow_not_found', err.message);
  auditOf(res).error = errorOf(mapped);
  next(mapped);
}
