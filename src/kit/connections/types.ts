// OAuth2 connections: one authorised account at a provider (for Xero: one organisation, its tenant id). A connection
// workflow per connection is the only writer of its token set (src/flows/connection/); activities get a current
// access token from it and never refresh one themselves, so a rotating refresh token is used exactly once.

import type { ConnectionToken } from '../../contracts/connections';

export type { ConnectionToken };

export { ConnectionFailure } from '../../contracts/failures';

/** How a connector's activities reach their connection; the worker gives one to every connector. */
export interface Connections {
  /**
   * A current access token of `system`'s connection, valid for at least a minute. Throws ConnectionNotAuthorized or
   * ConnectionBroken (retryable after a minute, so a flow held by it continues once someone re-authorises).
   */
  token(system: string, signal?: AbortSignal): Promise<ConnectionToken>;
  /**
   * Tells the connection that the provider answered 401 to `accessToken`: it refreshes once, however many callers
   * report the same token, and the caller's retry gets the new one.
   */
  rejected(system: string, accessToken: string): Promise<void>;
  /**
   * Tells the connection that the provider refused a call with `accessToken` for its account (Xero: 403): it asks
   * the provider whether the token still reaches the account, and breaks when it does not.
   */
  tenantRefused(system: string, accessToken: string): Promise<void>;
}
