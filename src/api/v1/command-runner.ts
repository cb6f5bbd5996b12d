import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { tracingInstalled } from '../../tracing/install';
import { AsyncLocalStorage } from 'node:async_hooks';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowClient,
  type WorkflowStartUpdateWithStartInput,
  type WorkflowStartUpdateWithStartOutput,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import {
  COMMAND_FAILED,
  type CommandFailureDetails,
  type CommandInput,
  commandFailureOf,
  commandResultUpdate,
  IDEMPOTENCY_KEY_REUSED,
} from '../../contracts/commands';
import { commandIdScope, commandWorkflowId } from '../../contracts/workflow-ids';
import { BUSINESS_KEY, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../../domain/search-attributes';
import { missingKeyInError } from '../../temporal/codec';
import { HttpError } from '../errors';
import { TemporalRefusedError, temporalRefusal, TemporalUnavailableError } from '../workflow-starter';

// Runs a command on Temporal with Update-With-Start: the workflow id is <prefix>api:<client>:<Idempotency-Key>
// (workflow-ids.ts), started with USE_EXISTING (a concurrent duplicate joins the running execution) and
// REJECT_DUPLICATE (a closed one is answered from its update's outcome, or its memo says another body used the key).
// The update carries the body's hash and its id is derived from it, so duplicates share one update and another body
// is refused by its validator. Only a request with the body of a run that had failed before it arrived runs the key
// again, under ALLOW_DUPLICATE_FAILED_ONLY: no other body can ever start a run under a key that exists.

export interface CommandRequest {
  client: string;
  key: string;
  workflowType: string;
  input: CommandInput & Record<string, unknown>;
  eventType: string;
  businessKey: string;
  /** The wait the caller asked for (`Prefer: wait`), in ms, when it is applied: at most `syncWaitMs`. */
  waitMs?: number;
}

export type CommandOutcome =
  | {
      kind: 'succeeded';
      workflowId: string;
      result: unknown;
      /** This request started the execution. */ first: boolean;
    }
  | { kind: 'running'; workflowId: string }
  | { kind: 'reused'; workflowId: string }
  | { kind: 'failed'; workflowId: string; failure: CommandFailureDetails };

// The SDK resolves whether the server started the execution or joined a running one only into a handle; this keeps
// the flag for the request that is running (AsyncLocalStorage follows it through the SDK's awaits).
const startedBy = new AsyncLocalStorage<{ started?: boolean }>();

class CommandClient extends WorkflowClient {
  protected override _updateWithStartHandler(
    waitForStage: WorkflowUpdateStage,
    onStart: (startResponse: temporal.api.workflowservice.v1.IStartWorkflowExecutionResponse) => void,
    onStartError: (err: unknown) => void,
    input: WorkflowStartUpdateWithStartInput,
  ): Promise<WorkflowStartUpdateWithStartOutput> {
    const box = startedBy.getStore();
    const noting = (response: temporal.api.workflowservice.v1.IStartWorkflowExecutionResponse) => {
      if (box) box.started = response.started ?? true;
      onStart(response);
    };
    return super._updateWithStartHandler(waitForStage, noting, onStartError, input);
  }
}

function failureType(err: unknown): string | undefined {
  return err instanceof ApplicationFailure ? (err.type ?? undefined) : undefined;
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || code === grpcStatus.DEADLINE_EXCEEDED;
}

/** Temporal did not answer: refused, unreachable or past the deadline, however the SDK wrapped it. */
function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (isTimeout(e)) return true;
    const code = (e as { code?: unknown }).code;
    if (code === grpcStatus.UNAVAILABLE || code === grpcStatus.CANCELLED) return true;
    if (e === (e as { cause?: unknown }).cause) break;
  }
  return false;
}

function isNotFound(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'WorkflowNotFoundError';
}

/**
 * Commands on Temporal, each answered within `syncWaitMs` (or the shorter wait its caller asked for) or left running
 * for /api/v1/operations.
 */
export function createCommandRunner(
  client: Client,
  options: { prefix: string; taskQueue: string; syncWaitMs: number },
) {
  const commands = new CommandClient({
    connection: client.connection,
    namespace: client.options.namespace,
    dataConverter: client.options.dataConverter,
    // With tracing on, the Update-With-Start carries the request's span into the command's workflow; off, the
    // request is unchanged (no trace header in the history).
    interceptors: tracingInstalled() ? [new OpenTelemetryWorkflowClientInterceptor()] : [],
  });

  /** What an execution that exists says about this body: its result, its failure, still running, or another body. */
  async function fromExecution(
    workflowId: string,
    bodyHash: string,
    deadline: number,
    first = false,
  ): Promise<CommandOutcome> {
    const handle = client.workflow.getHandle(workflowId);
    const description = await client.connection.withDeadline(deadline, () => handle.describe());
    if (description.memo?.bodyHash !== bodyHash) return { kind: 'reused', workflowId };
    if (description.status.name === 'RUNNING') return { kind: 'running', workflowId };
    try {
      const result = await client.connection.withDeadline(deadline, () => handle.result());
      return { kind: 'succeeded', workflowId, result, first };
    } catch (err) {
      if (isTimeout(err)) throw err;
      return { kind: 'failed', workflowId, failure: commandFailureOf((err as { cause?: unknown }).cause ?? err) };
    }
  }

  /**
   * The run this request should re-run: an execution of this key that had already failed when the request arrived
   * (the server answers a closed run's update from its history, so the retry needs an update id of its own).
   */
  async function failedBefore(workflowId: string, bodyHash: string, arrivedAt: number, deadline: number) {
    const description = await client.connection.withDeadline(deadline, () =>
      client.workflow.getHandle(workflowId).describe(),
    );
    const closedAt = description.closeTime?.getTime();
    const failed = description.status.name !== 'RUNNING' && description.status.name !== 'COMPLETED';
    return failed && closedAt !== undefined && closedAt < arrivedAt && description.memo?.bodyHash === bodyHash
      ? description.runId
      : undefined;
  }

  function send(
    req: CommandRequest,
    workflowId: string,
    updateId: string,
    deadline: number,
    box: { started?: boolean },
    reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY',
  ) {
    return startedBy.run(box, () =>
      client.connection.withDeadline(deadline, () =>
        commands.executeUpdateWithStart(commandResultUpdate, {
          args: [req.input.bodyHash],
          updateId,
          startWorkflowOperation: new WithStartWorkflowOperation(req.workflowType, {
            workflowId,
            taskQueue: options.taskQueue,
            args: [req.input],
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: reuse,
            memo: { bodyHash: req.input.bodyHash, client: req.client, idempotencyKey: req.key },
            typedSearchAttributes: [
              { key: SOURCE, value: `api:${req.client}` },
              { key: EVENT_TYPE, value: req.eventType },
              { key: BUSINESS_KEY, value: req.businessKey },
              { key: INTEGRATION_STATUS, value: 'processing' },
            ],
          }),
        }),
      ),
    );
  }

  return {
    /** The longest a command is waited for: a caller's `Prefer: wait` longer than this is not applied. */
    syncWaitMs: options.syncWaitMs,

    async run(req: CommandRequest): Promise<CommandOutcome> {
      const workflowId = commandWorkflowId(options.prefix, req.client, req.key);
      const arrivedAt = Date.now();
      const waitMs = req.waitMs ?? options.syncWaitMs;
      const deadline = arrivedAt + waitMs;
      const box: { started?: boolean } = {};
      let updateId = `result:${req.input.bodyHash}`;
      let reuse: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' = 'REJECT_DUPLICATE';
      for (let attempt = 0; ; attempt += 1) {
        try {
          const result = await send(req, workflowId, updateId, deadline, box, reuse);
          return { kind: 'succeeded', workflowId, result, first: box.started === true };
        } catch (err) {
          const updateFailure = err instanceof WorkflowUpdateFailedError ? failureType(err.cause) : undefined;
          if (updateFailure === IDEMPOTENCY_KEY_REUSED) return { kind: 'reused', workflowId };
          // A closed run of this key: its own update failed, or it was another run of the same key (a retry's).
          const closed = updateFailure === COMMAND_FAILED || err instanceof WorkflowExecutionAlreadyStartedError;
          if (closed && attempt === 0 && !box.started) {
            const failed = await failedBefore(workflowId, req.input.bodyHash, arrivedAt, deadline);
            if (failed !== undefined) {
              // Concurrent retries after the same failed run share this id, so they share one new run.
              updateId = `result:${req.input.bodyHash}:after:${failed}`;
              reuse = 'ALLOW_DUPLICATE_FAILED_ONLY';
              continue;
            }
          }
          if (updateFailure === COMMAND_FAILED) {
            return { kind: 'failed', workflowId, failure: commandFailureOf((err as WorkflowUpdateFailedError).cause) };
          }
          // Completed with this id before, or not done in time: answered from the execution (memo, then result).
          if (err instanceof WorkflowExecutionAlreadyStartedError || isTimeout(err)) {
            const lookup = Date.now() + Math.max(1000, waitMs / 5);
            try {
              return await fromExecution(workflowId, req.input.bodyHash, lookup, box.started === true);
            } catch (lookupErr) {
              // Timed out and nothing started: Temporal did not take the command.
              if (isNotFound(lookupErr) || isUnreachable(lookupErr)) throw new TemporalUnavailableError(err);
              throw lookupErr;
            }
          }
          if (isUnreachable(err)) throw new TemporalUnavailableError(err);
          const refusal = temporalRefusal(err);
          if (refusal !== undefined) throw new TemporalRefusedError(refusal, err);
          throw err;
        }
      }
    },

    /** Whether `workflowId` is one of `client`'s commands in this deployment (compacted ids keep the scope). */
    owns(workflowId: string, clientName: string): boolean {
      return workflowId.startsWith(commandIdScope(options.prefix, clientName));
    },

    /** The state of a command's execution, for GET /api/v1/operations/{id}; undefined when there is none. */
    async operation(workflowId: string): Promise<CommandOutcome | undefined> {
      const deadline = Date.now() + options.syncWaitMs;
      try {
        const description = await client.connection.withDeadline(deadline, () =>
          client.workflow.getHandle(workflowId).describe(),
        );
        return await fromExecution(workflowId, String(description.memo?.bodyHash), deadline);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        if (isUnreachable(err)) throw new TemporalUnavailableError(err);
        throw err;
      }
    },
  };
}

export type CommandRunner = ReturnType<typeof createCommandRunner>;

/**
 * Runs `work`, answering 503 + Retry-After when Temporal did not answer (for a command: nothing was started), and 410
 * when the execution's stored answer (memo, result or failure) is encrypted under a payload key no longer configured.
 */
export async function orUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const missingKeyId = missingKeyInError(err);
    // Not a 5xx: asking again cannot bring the answer back, and nothing was run again. A 200 without the result the
    // contract promises would read as a success with a broken body.
    if (missingKeyId !== undefined) {
      throw new HttpError(
        410,
        'operation_unreadable',
        `this operation's stored answer is encrypted under payload key "${missingKeyId}", which this service no ` +
          'longer holds; nothing was run again. Its operators can add the key back to PAYLOAD_KEYS to read it, or ' +
          'send the command with a new Idempotency-Key to run it again',
        { missingKeyId },
      );
    }
    // Temporal refused the start itself (InvalidArgument): asking again is refused again, so not a 5xx.
    if (err instanceof TemporalRefusedError) {
      throw new HttpError(
        400,
        'rejected_by_temporal',
        `Temporal refused to start this command: ${err.refusal}. Nothing was started; the same request will be ` +
          'refused again (a shorter Idempotency-Key or a smaller body may be taken)',
        { cause: err.refusal },
      );
    }
    if (!(err instanceof TemporalUnavailableError)) throw err;
    throw new HttpError(
      503,
      'temporal_unavailable',
      'Temporal did not take the command; retry with the same key',
      {},
      {
        'Retry-After': '5',
      },
    );
  }
}
