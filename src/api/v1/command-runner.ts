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
import { BUSINESS_KEY, EVENT_TYPE, INTEGRATION_STATUS, SOURCE } from '../../domain/search-attributes';
import { missingKeyInError } from '../../temporal/codec';
import { HttpError } from '../errors';
import { TemporalUnavailableError } from '../workflow-starter';

// Runs a command on Temporal with Update-With-Start: the workflow id is api:<client>:<Idempotency-Key>, started with
// USE_EXISTING (a concurrent duplicate joins the running execution) and ALLOW_DUPLICATE_FAILED_ONLY (a completed one
// is answered from its result; a failed one may be run again with the same key). The update carries the body's hash
// and its id is derived from it, so duplicates share one update and another body is refused by its validator.

export interface CommandRequest {
  client: string;
  key: string;
  workflowType: string;
  input: CommandInput & Record<string, unknown>;
  eventType: string;
  businessKey: string;
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

/** The workflow id of a command: the key is scoped by the client, so two callers' keys never meet. */
export function commandWorkflowId(client: string, key: string): string {
  return `api:${client}:${key}`;
}

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

/** Commands on Temporal, each answered within `syncWaitMs` or left running for /api/v1/operations. */
export function createCommandRunner(client: Client, options: { taskQueue: string; syncWaitMs: number }) {
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
            workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
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
    async run(req: CommandRequest): Promise<CommandOutcome> {
      const workflowId = commandWorkflowId(req.client, req.key);
      const arrivedAt = Date.now();
      const deadline = arrivedAt + options.syncWaitMs;
      const box: { started?: boolean } = {};
      let updateId = `result:${req.input.bodyHash}`;
      for (let attempt = 0; ; attempt += 1) {
        try {
          const result = await send(req, workflowId, updateId, deadline, box);
          return { kind: 'succeeded', workflowId, result, first: box.started === true };
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            const type = failureType(err.cause);
            if (type === IDEMPOTENCY_KEY_REUSED) return { kind: 'reused', workflowId };
            if (type === COMMAND_FAILED) {
              const failed =
                attempt === 0 && !box.started
                  ? await failedBefore(workflowId, req.input.bodyHash, arrivedAt, deadline)
                  : undefined;
              if (failed === undefined) return { kind: 'failed', workflowId, failure: commandFailureOf(err.cause) };
              // Concurrent retries after the same failed run share this id, so they share one new run.
              updateId = `result:${req.input.bodyHash}:after:${failed}`;
              continue;
            }
          }
          // Completed with this id before, or not done in time: answered from the execution (memo, then result).
          if (err instanceof WorkflowExecutionAlreadyStartedError || isTimeout(err)) {
            const lookup = Date.now() + Math.max(1000, options.syncWaitMs / 5);
            try {
              return await fromExecution(workflowId, req.input.bodyHash, lookup, box.started === true);
            } catch (lookupErr) {
              // Timed out and nothing started: Temporal did not take the command.
              if (isNotFound(lookupErr) || isUnreachable(lookupErr)) throw new TemporalUnavailableError(err);
              throw lookupErr;
            }
          }
          if (isUnreachable(err)) throw new TemporalUnavailableError(err);
          throw err;
        }
      }
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
