import { createHash, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../contracts/failures';
import type { AuthorizedTenant } from '../../contracts/connections';
import { safeText } from '../../redaction';
import type { ActivityDoc } from '../declare';
import { ConnectionFailure } from './types';
import type { OAuthProvider, PendingAuthorization, TokenSet } from './oauth';

// The calls a connection workflow makes to the provider's authorisation server, on the system's own queue (whose
// worker holds the client secret). Tokens leave these activities only as their results, which the payload codec
// encrypts; no token is ever logged or put in an error.

const TIMEOUT_MS = 10_000;
/** How long an operator has between opening the authorise link and the provider's callback. */
const AUTHORIZATION_TTL_MS = 10 * 60_000;
/** The longest access token lifetime believed; a provider claiming more is refreshed after this anyway. */
const MAX_ACCESS_TOKEN_SECONDS = 24 * 3600;

const b64url = (bytes: Buffer) => bytes.toString('base64url');

/** The authorise link an alert and the ops commands show: the callback URL's sibling. */
export function authorizeLinkOf(provider: Pick<OAuthProvider, 'redirectUrl'>): string {
  return provider.redirectUrl.replace(/\/callback\/?$/, '/authorize');
}

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
}

async function post(provider: OAuthProvider, form: Record<string, string>): Promise<TokenAnswer & { status: number }> {
  const basic = Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(provider.tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw ApplicationFailure.retryable(
      `the token endpoint ${new URL(provider.tokenUrl).host} could not be reached: ${safeText((err as Error).message, 200)}`,
      (err as Error).name === 'TimeoutError' ? FailureType.timeout : FailureType.network,
    );
  }
  let body: TokenAnswer = {};
  try {
    body = (await res.json()) as TokenAnswer;
  } catch {
    if (res.ok) throw ApplicationFailure.retryable('the token endpoint answered without JSON', FailureType.protocol);
  }
  return { ...(body && typeof body === 'object' ? body : {}), status: res.status };
}

/** What the provider said went wrong, bounded and without anything that could be a token. */
function providerError(a: TokenAnswer & { status: number }): string {
  const code = typeof a.error === 'string' ? safeText(a.error, 60) : `HTTP ${a.status}`;
  const text = typeof a.error_description === 'string' ? `: ${safeText(a.error_description, 200)}` : '';
  return `${code}${text}`;
}

function tokenSetOf(a: TokenAnswer, provider: OAuthProvider, now: number): TokenSet {
  const seconds = typeof a.expires_in === 'number' ? a.expires_in : Number(a.expires_in);
  if (
    typeof a.access_token !== 'string' ||
    !a.access_token ||
    typeof a.refresh_token !== 'string' ||
    !a.refresh_token ||
    !Number.isFinite(seconds) ||
    seconds <= 0
  ) {
    throw ApplicationFailure.retryable(
      'the token endpoint answered 200 without an access token, a refresh token and a positive expires_in',
      FailureType.protocol,
    );
  }
  return {
    accessToken: a.access_token,
    refreshToken: a.refresh_token,
    accessTokenExpiresAt: new Date(now + Math.min(seconds, MAX_ACCESS_TOKEN_SECONDS) * 1000).toISOString(),
    refreshTokenIssuedAt: new Date(now).toISOString(),
    refreshTokenExpiresAt: new Date(now + provider.refreshTokenIdleDays * 86_400_000).toISOString(),
  };
}

/** The account the token acts for: the configured one, or the only (else first) the provider lists. */
async function tenantOf(provider: OAuthProvider, accessToken: string): Promise<AuthorizedTenant> {
  const tenants = await tenantsOf(provider, accessToken);
  const chosen = provider.tenantId ? tenants.find((t) => t.tenantId === provider.tenantId) : tenants[0];
  if (!chosen) {
    throw ApplicationFailure.nonRetryable(
      provider.tenantId
        ? `the authorisation does not include the configured tenant ${safeText(provider.tenantId, 60)}: authorise again and pick that organisation`
        : 'the authorisation includes no organisation: authorise again and pick one',
      FailureType.rejected,
    );
  }
  return chosen;
}

/** The accounts the provider says the token may act for (Xero: GET /connections). */
async function tenantsOf(provider: OAuthProvider, accessToken: string): Promise<AuthorizedTenant[]> {
  let res: Response;
  try {
    res = await fetch(provider.tenantsUrl, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw ApplicationFailure.retryable(
      `the provider's connections endpoint could not be reached: ${safeText((err as Error).message, 200)}`,
      FailureType.network,
    );
  }
  if (!res.ok) {
    throw ApplicationFailure.retryable(
      `the provider's connections endpoint answered ${res.status}`,
      FailureType.unavailable,
    );
  }
  const list = (await res.json().catch(() => undefined)) as unknown;
  if (!Array.isArray(list)) {
    throw ApplicationFailure.retryable("the provider's connections endpoint answered no list", FailureType.unavailable);
  }
  return list.flatMap((t: { tenantId?: unknown; tenantName?: unknown }) =>
    typeof t?.tenantId === 'string'
      ? [{ tenantId: t.tenantId, tenantName: safeText(String(t.tenantName ?? ''), 100) }]
      : [],
  );
}

export function createConnectionActivities(provider: OAuthProvider) {
  return {
    /** A fresh state and PKCE verifier, and the link that starts the provider's consent screen. */
    async beginConnectionAuthorization(): Promise<PendingAuthorization> {
      const state = b64url(randomBytes(24));
      const verifier = b64url(randomBytes(32));
      const url = new URL(provider.authorizeUrl);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: provider.clientId,
        redirect_uri: provider.redirectUrl,
        scope: provider.scopes,
        state,
        code_challenge: b64url(createHash('sha256').update(verifier).digest()),
        code_challenge_method: 'S256',
      }).toString();
      return {
        authorizeUrl: url.toString(),
        state,
        verifier,
        expiresAt: new Date(Date.now() + AUTHORIZATION_TTL_MS).toISOString(),
      };
    },

    /**
     * Trades the callback's code (with the PKCE verifier) for a token set. A code is good once, so nothing that can
     * fail after the trade is in this activity: its retry would present a used code.
     */
    async exchangeConnectionCode(input: {
      code: string;
      verifier: string;
    }): Promise<{ tokens: TokenSet; authorizeLink: string }> {
      const now = Date.now();
      const answer = await post(provider, {
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: provider.redirectUrl,
        code_verifier: input.verifier,
      });
      if (answer.status >= 500 || answer.status === 429) {
        throw ApplicationFailure.retryable(
          `the token endpoint answered ${providerError(answer)}`,
          FailureType.unavailable,
        );
      }
      if (answer.status !== 200) {
        throw ApplicationFailure.nonRetryable(
          `the provider refused the authorisation code (${providerError(answer)}): open the authorise link again`,
          FailureType.rejected,
        );
      }
      return { tokens: tokenSetOf(answer, provider, now), authorizeLink: authorizeLinkOf(provider) };
    },

    /** The account a new token set acts for: the configured tenant, or the only (else first) one it reaches. */
    async findConnectionTenant(input: { accessToken: string }): Promise<AuthorizedTenant> {
      return tenantOf(provider, input.accessToken);
    },

    /**
     * Whether the token still reaches the connection's account: asked when the provider refused a call for it (Xero:
     * 403 once the organisation disconnected the app), since its token endpoint goes on refreshing.
     */
    async connectionReachesTenant(input: { accessToken: string; tenantId: string }): Promise<boolean> {
      return (await tenantsOf(provider, input.accessToken)).some((t) => t.tenantId === input.tenantId);
    },

    /**
     * Trades the refresh token for a new token set. A rotating provider invalidates the one sent, so only the
     * connection workflow calls this, once at a time. invalid_grant (used, revoked or expired) is ConnectionBroken.
     */
    async refreshConnectionToken(input: { refreshToken: string }): Promise<TokenSet> {
      const now = Date.now();
      const answer = await post(provider, { grant_type: 'refresh_token', refresh_token: input.refreshToken });
      if (answer.status === 200) return tokenSetOf(answer, provider, now);
      if (answer.status >= 500 || answer.status === 429) {
        throw ApplicationFailure.retryable(
          `the token endpoint answered ${providerError(answer)}`,
          FailureType.unavailable,
        );
      }
      const broken = answer.error === 'invalid_grant';
      throw ApplicationFailure.nonRetryable(
        broken
          ? `the provider refused the refresh token (${providerError(answer)}): the connection must be authorised again`
          : `the token endpoint refused the client (${providerError(answer)}): check the connector's client id and secret`,
        broken ? ConnectionFailure.broken : FailureType.rejected,
      );
    },
  };
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;

/** For the catalog and redrive: what each does. */
export const CONNECTION_ACTIVITY_DOCS: Record<keyof ConnectionActivities, ActivityDoc> = {
  beginConnectionAuthorization: {
    does: 'makes a state and PKCE verifier, and the provider’s authorise link',
    kind: 'read',
    profile: 'command',
  },
  exchangeConnectionCode: {
    does: 'trades the callback’s code for the connection’s token set',
    kind: 'write',
    profile: 'command',
    note: 'a code is single-use: a re-run fails, and the operator opens the authorise link again',
  },
  findConnectionTenant: {
    does: 'reads which account (Xero: organisation) a new token set acts for',
    kind: 'read',
    profile: 'command',
  },
  connectionReachesTenant: {
    does: 'asks the provider whether the token still reaches the connection’s account, after a call for it was refused',
    kind: 'read',
    profile: 'command',
  },
  refreshConnectionToken: {
    does: 'trades the refresh token for a new token set (the provider rotates it)',
    kind: 'write',
    profile: 'command',
    note: 'only the connection workflow calls it, one at a time; a re-run with a used token breaks the connection',
  },
};
