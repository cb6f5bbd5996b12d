// OAuth2 connections: one authorised account at a provider (for Xero: one organisation, its tenant id). A connection
// workflow per connection is the only writer of its token set (src/flows/connection/); activities get a current
// access token from it and never refresh one themselves, so a rotating refresh token is used exactly once.

/** What an activity needs to call the provider as the connection. */
export interface ConnectionToken {
  accessToken: string;
  /** The provider's id of the authorised account (Xero's tenant id), sent with every call. */
  tenantId: string;
  /** When the access token stops working (ISO 8601). */
  expiresAt: string;
}

/** The failure types a connection's callers see; both fail the attempt at once, without calling the provider. */
export const ConnectionFailure = {
  /** Never authorised: an operator opens GET /connections/<system>/authorize on the operator listener. */
  notAuthorized: 'ConnectionNotAuthorized',
  /** The provider refused its refresh token (invalid_grant, revoked consent, removed tenant): re-authorise. */
  broken: 'ConnectionBroken',
} as const;

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
}
