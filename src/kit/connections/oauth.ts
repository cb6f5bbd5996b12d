// The OAuth2 authorisation-code flow with PKCE (RFC 6749, RFC 7636) as a provider declares it: a connector with an
// `oauth` block names its endpoints, client and scopes from its own variables.

/** One provider's OAuth2 endpoints and client, from a connector's settings. */
export interface OAuthProvider {
  /** Where the operator's browser authorises (`response_type=code`, PKCE S256, `state`). */
  authorizeUrl: string;
  /** The token endpoint: `authorization_code` and `refresh_token` grants, client authentication by HTTP Basic. */
  tokenUrl: string;
  /** Lists the accounts a token may act for (Xero: GET /connections → tenantId, tenantName). */
  tenantsUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** The callback URL registered with the provider: the operator listener's /connections/<system>/callback. */
  redirectUrl: string;
  /** The account to use when the token may act for several (unset: the only one, else the first authorised). */
  tenantId?: string;
  /** Days a refresh token lives unused (Xero: 60); the connection refreshes well before. */
  refreshTokenIdleDays: number;
}

/** The token set the connection workflow keeps; it travels only through the payload codec. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** ISO 8601. */
  accessTokenExpiresAt: string;
  refreshTokenIssuedAt: string;
  /** When the refresh token dies unless used (issued + the provider's idle lifetime). */
  refreshTokenExpiresAt: string;
}

/** What starting an authorisation hands the connection workflow to keep until the callback. */
export interface PendingAuthorization {
  authorizeUrl: string;
  state: string;
  verifier: string;
  /** ISO 8601: a callback after this is refused. */
  expiresAt: string;
}
