import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type AuthorizationCallback,
  type AuthorizedTenant,
  beginAuthorizationUpdate,
  completeAuthorizationUpdate,
  connectionQuery,
  type ConnectionSummary,
  tenantRefusedUpdate,
  tokenRejectedUpdate,
  tokenUpdate,
} from '../../contracts/connections';
import { NON_RETRYABLE_TYPES } from '../../contracts/failures';
import type { ConnectionActivities } from '../../kit/connections/activities';
import type { PendingAuthorization, TokenSet } from '../../kit/connections/oauth';
import type { ConnectionToken } from '../../contracts/connections';
import { ConnectionFailure } from '../../contracts/failures';
import { systemActivities, systemQueue } from '../common/activities';
import type { Alerts } from '../../systems/alerts/system';

// One per OAuth connection, the only writer of its token set. Callers (the connector's activities on any worker
// replica) ask for a current access token through an Update; when it is close to expiry the first caller's Update
// refreshes it and every other caller at that moment awaits the same refresh, so a rotating refresh token is used
// exactly once. The rotated token set is in the history (encrypted by the payload codec) before any caller gets the
// new access token. A refresh token nobody used for half its idle lifetime is refreshed anyway.
//
// When the provider refuses the refresh token (invalid_grant: used, revoked), or its connections no longer list the
// account after a call for it was refused (the organisation disconnected the app), the connection is broken: one alert names it and the re-authorise link, and the run fails (a red execution). Callers then fail at
// once with ConnectionBroken, retried a minute later, so the flows it holds continue when an operator re-authorises:
// GET /connections/<system>/authorize starts a new run with Update-With-Start.

/** An access token with less than this left is refreshed before it is handed out. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** A caller asking while the connection cannot give a token tries again this much later. */
const HELD_RETRY_MS = 60_000;
const HISTORY_LIMIT = 5_000;
const KEEP_ALIVE_BACKOFF_MS = 60 * 60_000;

export interface ConnectionInput {
  system: string;
  /** Set by continueAsNew only. */
  carried?: ConnectionCarried;
}

interface ConnectionCarried {
  tokens?: TokenSet;
  tenant?: AuthorizedTenant;
  authorizedAt?: string;
  authorizeLink?: string;
  pending?: PendingAuthorization;
  refreshes: number;
}

/** The connection of `input.system`: runs until it breaks, continuing as new to keep its history short. */
export async function connection(input: ConnectionInput): Promise<void> {
  const oauth = proxyActivities<ConnectionActivities>({
    taskQueue: systemQueue(input.system),
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: '2m',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '10s',
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES, ConnectionFailure.broken],
    },
  });
  const { sendAlert } = systemActivities<Alerts>('alerts', 'alert');

  let s: ConnectionCarried = input.carried ?? { refreshes: 0 };
  let brokenReason: string | undefined;
  let refreshing: Promise<void> | undefined;

  const summary = (): ConnectionSummary => ({
    system: input.system,
    status: brokenReason ? 'broken' : s.tokens ? 'connected' : 'pending',
    tenantId: s.tenant?.tenantId,
    tenantName: s.tenant?.tenantName,
    authorizedAt: s.authorizedAt,
    accessTokenExpiresAt: s.tokens?.accessTokenExpiresAt,
    refreshTokenIssuedAt: s.tokens?.refreshTokenIssuedAt,
    refreshTokenExpiresAt: s.tokens?.refreshTokenExpiresAt,
    refreshes: s.refreshes,
    brokenReason,
    authorizeLink: s.authorizeLink,
  });

  /** The one refresh of the current refresh token; callers meanwhile await the same one. */
  function refresh(): Promise<void> {
    refreshing ??= (async () => {
      const from = s.tokens!;
      try {
        const tokens = await oauth.refreshConnectionToken({ refreshToken: from.refreshToken });
        // A re-authorisation that landed meanwhile wins: its tokens are newer than this refresh's.
        if (s.tokens === from) s = { ...s, tokens, refreshes: s.refreshes + 1 };
      } catch (err) {
        const cause = (err as { cause?: { type?: string; message?: string } }).cause;
        if (s.tokens === from && cause?.type === ConnectionFailure.broken) brokenReason = cause.message;
        throw err;
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  function unavailable(): ApplicationFailure {
    const link = s.authorizeLink
      ? `: re-authorise at ${s.authorizeLink}`
      : ': an operator opens /connections/<system>/authorize on the operator listener';
    return brokenReason
      ? ApplicationFailure.create({
          message: `the ${input.system} connection is broken (${brokenReason})${link}`,
          type: ConnectionFailure.broken,
          nextRetryDelay: HELD_RETRY_MS,
        })
      : ApplicationFailure.create({
          message: `the ${input.system} connection is not authorised yet${link}`,
          type: ConnectionFailure.notAuthorized,
          nextRetryDelay: HELD_RETRY_MS,
        });
  }

  setHandler(connectionQuery, summary);

  setHandler(beginAuthorizationUpdate, async () => {
    const pending = await oauth.beginConnectionAuthorization();
    s = { ...s, pending };
    return { authorizeUrl: pending.authorizeUrl };
  });

  setHandler(
    completeAuthorizationUpdate,
    async (callback: AuthorizationCallback) => {
      const pending = s.pending!;
      s = { ...s, pending: undefined };
      const { tokens, authorizeLink } = await oauth.exchangeConnectionCode({
        code: callback.code!,
        verifier: pending.verifier,
      });
      // Its own activity: retried, it presents the new access token again, never the used code.
      const tenant = await oauth.findConnectionTenant({ accessToken: tokens.accessToken });
      s = { ...s, tokens, tenant, authorizeLink, authorizedAt: new Date().toISOString() };
      brokenReason = undefined;
      return tenant;
    },
    {
      // A callback that does not answer this connection's own pending authorisation changes nothing and is not
      // recorded: a forged or replayed one, a stale tab, or the provider's refusal.
      validator: (callback: AuthorizationCallback) => {
        if (callback.error) {
          throw new Error(`the provider answered ${String(callback.error).slice(0, 60)}: nothing was authorised`);
        }
        const pending = s.pending;
        if (!pending) throw new Error('no authorisation is in progress: open the authorise link again');
        if (typeof callback.state !== 'string' || callback.state !== pending.state) {
          throw new Error('the state does not match the authorisation in progress: open the authorise link again');
        }
        if (Date.now() > Date.parse(pending.expiresAt)) {
          throw new Error('the authorisation took longer than 10 minutes: open the authorise link again');
        }
        if (typeof callback.code !== 'string' || !callback.code) throw new Error('the callback carries no code');
      },
    },
  );

  setHandler(tokenUpdate, async (options: { minValidMs?: number }): Promise<ConnectionToken> => {
    if (brokenReason || !s.tokens) throw unavailable();
    const margin = Math.max(REFRESH_MARGIN_MS, options?.minValidMs ?? 0);
    if (Date.parse(s.tokens.accessTokenExpiresAt) - Date.now() < margin) {
      await refresh();
      if (brokenReason || !s.tokens) throw unavailable();
    }
    return {
      accessToken: s.tokens.accessToken,
      tenantId: s.tenant!.tenantId,
      expiresAt: s.tokens.accessTokenExpiresAt,
    };
  });

  setHandler(tokenRejectedUpdate, async ({ accessToken }: { accessToken: string }) => {
    // Only a report of the current token refreshes: the others' reports of it meet the same refresh, or the new token.
    if (s.tokens && s.tokens.accessToken === accessToken && !brokenReason) await refresh();
  });

  let checkingTenant: Promise<void> | undefined;
  setHandler(tenantRefusedUpdate, async ({ accessToken }: { accessToken: string }) => {
    // One check however many callers report the same refusal; a report of an older token is answered by the new one.
    if (!s.tokens || s.tokens.accessToken !== accessToken || brokenReason || !s.tenant) return;
    checkingTenant ??= (async () => {
      const tenant = s.tenant!;
      try {
        const reaches = await oauth.connectionReachesTenant({ accessToken, tenantId: tenant.tenantId });
        if (!reaches && s.tokens?.accessToken === accessToken && s.tenant === tenant) {
          brokenReason = `the organisation ${tenant.tenantName} (${tenant.tenantId}) is no longer connected to the app`;
        }
      } finally {
        checkingTenant = undefined;
      }
    })();
    await checkingTenant;
  });

  // After a keep-alive refresh that failed without breaking the connection (the provider down, the client refused),
  // the next one waits this long; a caller's refresh may succeed meanwhile.
  let keepAliveBackoffUntil = 0;
  for (;;) {
    const keepAliveAt = s.tokens
      ? Math.max(
          (Date.parse(s.tokens.refreshTokenIssuedAt) + Date.parse(s.tokens.refreshTokenExpiresAt)) / 2,
          keepAliveBackoffUntil,
        )
      : Number.POSITIVE_INFINITY;
    const due = () => Date.now() >= keepAliveAt;
    const tooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT;
    const woke = () => brokenReason !== undefined || tooLong() || due();
    if (Number.isFinite(keepAliveAt)) await condition(woke, Math.max(keepAliveAt - Date.now(), 1));
    else await condition(woke);

    if (brokenReason !== undefined) break;
    if (due() && s.tokens) {
      const before = s.tokens;
      await (refreshing ?? refresh()).catch((err: unknown) => {
        if (isCancellation(err)) throw err;
      });
      if (s.tokens === before) keepAliveBackoffUntil = Date.now() + KEEP_ALIVE_BACKOFF_MS;
      continue;
    }
    if (tooLong()) {
      await condition(() => allHandlersFinished() && refreshing === undefined && checkingTenant === undefined);
      await continueAsNew<typeof connection>({ system: input.system, carried: s });
    }
  }

  const info = workflowInfo();
  const message = unavailable().message;
  await sendAlert({
    kind: 'failed',
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.workflowType,
    businessKey: `${input.system}${s.tenant ? ` (${s.tenant.tenantName})` : ''}`,
    error: message,
  });
  await condition(allHandlersFinished);
  throw ApplicationFailure.nonRetryable(message, ConnectionFailure.broken);
}
