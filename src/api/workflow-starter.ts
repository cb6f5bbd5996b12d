import { status as grpcStatus } from '@grpc/grpc-js';
import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { WorkflowClient } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { printable } from '../printable';
import { safeText } from '../redaction';
import { inSpan, temporalTraceHeaders } from '../tracing';

export interface StartRequest {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: unknown[];
  typedSearchAttributes?: TypedSearchAttributes | WorkflowStartOptions['typedSearchAttributes'];
  memo?: Record<string, unknown>;
}

export interface StartResult {
  status: 'accepted' | 'duplicate';
  workflowId: string;
  runId: string;
}

/** Temporal could not be reached (or did not answer in time). The delivery must be retried by its sender. */
export class TemporalUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Temporal is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'TemporalUnavailableError';
  }
}

/**
 * Temporal refused the request as invalid (gRPC INVALID_ARGUMENT: an id, memo or search attribute over a limit of the
 * server's config): the same request is refused again, so retrying cannot help until the input or the server changes.
 */
export class TemporalRefusedError extends Error {
  constructor(
    /** What Temporal said, bounded and printable. */
    readonly refusal: string,
    cause: unknown,
  ) {
    super(`Temporal refused the request: ${refusal}`, { cause });
    this.name = 'TemporalRefusedError';
  }
}

/** What Temporal said when it refused a request as invalid, wherever the SDK wrapped that; undefined otherwise. */
export function temporalRefusal(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 8; depth += 1) {
    if (isGrpcCode(e, grpcStatus.INVALID_ARGUMENT)) {
      // For an Update-With-Start the SDK puts the failed operation's own status message in `message` (`details`
      // then says only that the multi-operation failed); for a plain start both say the same.
      const message = e instanceof Error ? e.message.replace(/^\d+ [A-Z_]+: /, '') : '';
      const details = (e as { details?: unknown }).details;
      const said = message || (typeof details === 'string' ? details : String(e));
      return printable(safeText(said, 200));
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

// WorkflowClient.start hides the server's `started` flag, which is how USE_EXISTING tells a new execution from a
// duplicate delivery of a running one. This subclass sends the same request the SDK builds and keeps the flag.
// The start is traced as the SDK's client interceptor would (`StartWorkflow:<type>`), and the trace context rides in
// the start's headers, where the worker's workflow interceptors continue it.
class StartingClient extends WorkflowClient {
  startReportingDuplicate(req: StartRequest): Promise<{ runId: string; started: boolean }> {
    return inSpan(`StartWorkflow:${req.workflowType}`, { 'temporal.workflow.id': req.workflowId }, async (span) => {
      const result = await this.send(req);
      span.setAttributes({ 'temporal.run.id': result.runId, 'switchyard.started': result.started });
      return result;
    });
  }

  private async send(req: StartRequest): Promise<{ runId: string; started: boolean }> {
    const request = await this.createStartWorkflowRequest({
      workflowType: req.workflowType,
      headers: temporalTraceHeaders(),
      options: {
        workflowId: req.workflowId,
        taskQueue: req.taskQueue,
        args: req.args,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: req.typedSearchAttributes,
        memo: req.memo,
      } as Parameters<WorkflowClient['createStartWorkflowRequest']>[0]['options'],
    });
    const response = await this.workflowService.startWorkflowExecution(request);
    return { runId: response.runId, started: response.started ?? true };
  }
}

function isGrpcCode(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function isUnavailable(err: unknown): boolean {
  return (
    isGrpcCode(err, grpcStatus.UNAVAILABLE) ||
    isGrpcCode(err, grpcStatus.DEADLINE_EXCEEDED) ||
    isGrpcCode(err, grpcStatus.CANCELLED) ||
    (err instanceof Error && /deadline|unavailable|ECONNREFUSED|connect/i.test(err.message))
  );
}

/**
 * Starts workflows with Temporal as the deduplicator: the workflow id is the event's, a running duplicate is
 * reused and a finished one rejected. Every call is bounded by `timeoutMs`, so the ingress never hangs.
 */
export function createWorkflowStarter(client: Client, timeoutMs: number) {
  const starter = new StartingClient({
    connection: client.connection,
    namespace: client.options.namespace,
    dataConverter: client.options.dataConverter,
  });

  async function existingRunId(workflowId: string): Promise<string> {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.runId;
  }

  return {
    async start(req: StartRequest): Promise<StartResult> {
      const deadline = Date.now() + timeoutMs;
      try {
        const { runId, started } = await client.connection.withDeadline(deadline, () =>
          starter.startReportingDuplicate(req),
        );
        return { status: started ? 'accepted' : 'duplicate', workflowId: req.workflowId, runId };
      } catch (err) {
        if (isGrpcCode(err, grpcStatus.ALREADY_EXISTS)) {
          // Closed execution with this id: REJECT_DUPLICATE means we have seen this event before.
          try {
            const runId = await client.connection.withDeadline(deadline, () => existingRunId(req.workflowId));
            return { status: 'duplicate', workflowId: req.workflowId, runId };
          } catch (describeErr) {
            throw new TemporalUnavailableError(describeErr);
          }
        }
        const refusal = temporalRefusal(err);
        if (refusal !== undefined) throw new TemporalRefusedError(refusal, err);
        if (isUnavailable(err)) throw new TemporalUnavailableError(err);
        throw err;
      }
    },

    /**
     * True when Temporal answers a cheap call within `timeoutMs`, at most 1.5 s: a probe that waits out a sender's
     * patience would keep a load balancer routing to an ingress that cannot reach Temporal for that much longer.
     */
    async ready(): Promise<boolean> {
      try {
        const deadline = Date.now() + Math.min(timeoutMs, 1500);
        await client.connection.withDeadline(deadline, () => client.workflowService.getSystemInfo({}));
        return true;
      } catch {
        return false;
      }
    },
  };
}

export type WorkflowStarter = ReturnType<typeof createWorkflowStarter>;
