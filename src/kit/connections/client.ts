import { ApplicationFailure } from '@temporalio/common';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  connectionWorkflowId,
  tenantRefusedUpdate,
  tokenRejectedUpdate,
  tokenUpdate,
} from '../../contracts/connections';
import { FailureType } from '../../contracts/failures';
import { safeText } from '../../redaction';
import { ConnectionFailure, type ConnectionToken, type Connections } from './types';

// The worker's side of the connections: each process keeps the access token it was last given until a minute and a
// half before it expires (an access token stays valid after a refresh elsewhere), so most calls cost no round trip to
// Temporal; the connection workflow alone refreshes.

const HELD_RETRY_MS = 60_000;
const REUSE_UNTIL_MS = 90_000;

export function createConnections(deps: { temporal: Client; prefix: string }): Connections {
  const cache = new Map<string, ConnectionToken>();
  const handleOf = (system: string) => deps.temporal.workflow.getHandle(connectionWorkflowId(deps.prefix, system));

  /** Why there is no connection to ask: never authorised, or its last run failed (broken). */
  async function closedFailure(system: string): Promise<ApplicationFailure> {
    let status: string | undefined;
    try {
      status = (await handleOf(system).describe()).status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const broken = status !== undefined && status !== 'RUNNING' && status !== 'COMPLETED';
    return ApplicationFailure.create({
      message: broken
        ? `the ${system} connection is broken (its workflow ${status?.toLowerCase()}): re-authorise at /connections/${system}/authorize on the operator listener`
        : `the ${system} connection is not authorised: open /connections/${system}/authorize on the operator listener`,
      type: broken ? ConnectionFailure.broken : ConnectionFailure.notAuthorized,
      nextRetryDelay: HELD_RETRY_MS,
    });
  }

  /** Tells the connection what a call met; the caller fails its attempt anyway, and its retry meets the new state. */
  async function report(system: string, accessToken: string, send: () => Promise<unknown>): Promise<void> {
    const cached = cache.get(system);
    if (cached?.accessToken === accessToken) cache.delete(system);
    try {
      await send();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) && !(err instanceof WorkflowUpdateFailedError)) throw err;
    }
  }

  return {
    async token(system) {
      const cached = cache.get(system);
      if (cached && Date.parse(cached.expiresAt) - Date.now() > REUSE_UNTIL_MS) return cached;
      try {
        const token = await handleOf(system).executeUpdate(tokenUpdate, { args: [{ minValidMs: 2 * REUSE_UNTIL_MS }] });
        cache.set(system, token);
        return token;
      } catch (err) {
        cache.delete(system);
        if (err instanceof WorkflowNotFoundError) throw await closedFailure(system);
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          const cause = err.cause;
          throw ApplicationFailure.create({
            message: safeText(cause.message),
            type: cause.type ?? FailureType.unavailable,
            nextRetryDelay:
              cause.type && Object.values(ConnectionFailure).includes(cause.type as never) ? HELD_RETRY_MS : undefined,
          });
        }
        if (err instanceof WorkflowUpdateFailedError) {
          throw ApplicationFailure.retryable(
            `the ${system} connection could not refresh its token: ${safeText(String(err.cause?.message ?? err.message))}`,
            FailureType.unavailable,
          );
        }
        throw err;
      }
    },

    async rejected(system, accessToken) {
      await report(system, accessToken, () =>
        handleOf(system).executeUpdate(tokenRejectedUpdate, { args: [{ accessToken }] }),
      );
    },

    async tenantRefused(system, accessToken) {
      await report(system, accessToken, () =>
        handleOf(system).executeUpdate(tenantRefusedUpdate, { args: [{ accessToken }] }),
      );
    },
  };
}
