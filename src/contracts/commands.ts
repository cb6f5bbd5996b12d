import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { defineUpdate } from '@temporalio/workflow';
import { type InvoiceField, invoiceConflictOf, NON_RETRYABLE_TYPES } from './failures';

// What the command workflows and the /api/v1 handlers share: the update that answers a command, the failure types
// it answers with, and how a command's failure is described to its caller. Pure: imported by workflows and the API.

/** Every command workflow's input carries who asked and the hash of what they asked (the canonical body). */
export interface CommandInput {
  client: string;
  bodyHash: string;
}

/**
 * Answers the command: waits until its result exists and returns it, or fails with a CommandFailed. Its validator
 * refuses a body hash other than the one the execution was started with (IdempotencyKeyReused), so a key reused
 * with another body is refused by the execution itself, atomically with the start.
 */
export const commandResultUpdate = defineUpdate<unknown, [bodyHash: string]>('commandResult');

export const IDEMPOTENCY_KEY_REUSED = 'IdempotencyKeyReused';
export const COMMAND_FAILED = 'CommandFailed';

/** What a caller is told about a failed command (the details of a CommandFailed). */
export interface CommandFailureDetails {
  /** The downstream system that failed, when one did. */
  system?: string;
  /** What it said, or what went wrong. */
  error: string;
  /**
   * A retry with the same key starts a new run and repeats no side effect: every write is keyed by the business key
   * downstream. Always true for the commands we have; kept explicit for the caller.
   */
  retrySafe: boolean;
  /** False when the system refused the request itself: the same body will be refused again. */
  retryMayHelp: boolean;
  /**
   * The request's fields that what already exists holds differently (the order's invoice): the command is answered
   * 409 and changed nothing.
   */
  conflictingFields?: InvoiceField[];
}

/** Describes a command's failure from the error its flow ended with (an activity's, or the flow's own). */
export function commandFailureOf(err: unknown): CommandFailureDetails {
  // The answer of the commandResult update already carries the description the workflow made.
  if (err instanceof ApplicationFailure && err.type === COMMAND_FAILED) {
    const described = err.details?.[0] as Partial<CommandFailureDetails> | undefined;
    if (typeof described?.error === 'string' && typeof described.retryMayHelp === 'boolean') {
      return described as CommandFailureDetails;
    }
  }
  let e: unknown = err;
  while ((e instanceof ActivityFailure || (e instanceof ApplicationFailure && e.type === COMMAND_FAILED)) && e.cause) {
    e = e.cause;
  }
  const details = e instanceof ApplicationFailure ? (e.details?.[0] as { system?: unknown } | undefined) : undefined;
  const type = e instanceof ApplicationFailure ? e.type : undefined;
  const conflict = invoiceConflictOf(e);
  return {
    ...(typeof details?.system === 'string' ? { system: details.system } : {}),
    error: e instanceof Error ? e.message : String(e),
    retrySafe: true,
    retryMayHelp: !conflict && !(type && NON_RETRYABLE_TYPES.includes(type)),
    ...(conflict ? { conflictingFields: conflict.fields } : {}),
  };
}
