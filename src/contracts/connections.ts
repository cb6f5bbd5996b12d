import { defineQuery, defineUpdate } from '@temporalio/workflow';

// The connection workflow's interface (src/flows/connection/workflow.ts), shared by the operator listener (authorise),
// the workers (tokens) and the ops commands (state). Pure: workflows import it too.

export const CONNECTION_WORKFLOW = 'connection';

/** What an activity needs to call the provider as the connection. */
export interface ConnectionToken {
  accessToken: string;
  /** The provider's id of the authorised account (Xero's tenant id), sent with every call. */
  tenantId: string;
  /** When the access token stops working (ISO 8601). */
  expiresAt: string;
}

export { connectionWorkflowId } from './workflow-ids';

/** What `beginAuthorization` returns: where to send the operator's browser. */
export interface AuthorizationStart {
  authorizeUrl: string;
}

/** The provider's answer on the callback URL. */
export interface AuthorizationCallback {
  code?: string;
  state?: string;
  /** The provider's `error` (access_denied when the operator declined). */
  error?: string;
}

/** The account the connection was authorised for. */
export interface AuthorizedTenant {
  tenantId: string;
  tenantName: string;
}

/** A connection's state as operators see it: never a token. */
export interface ConnectionSummary {
  system: string;
  status: 'pending' | 'connected' | 'broken';
  tenantId?: string;
  tenantName?: string;
  authorizedAt?: string;
  /** When the current access token expires. */
  accessTokenExpiresAt?: string;
  /** When the refresh token was issued, and when it expires unless used (the provider's idle lifetime). */
  refreshTokenIssuedAt?: string;
  refreshTokenExpiresAt?: string;
  refreshes: number;
  brokenReason?: string;
  /** Where an operator re-authorises it. */
  authorizeLink?: string;
}

export const beginAuthorizationUpdate = defineUpdate<AuthorizationStart, []>('beginAuthorization');
export const completeAuthorizationUpdate = defineUpdate<AuthorizedTenant, [AuthorizationCallback]>(
  'completeAuthorization',
);
/** A current access token, valid for at least `minValidMs` (default a minute). */
export const tokenUpdate = defineUpdate<ConnectionToken, [{ minValidMs?: number }]>('token');
/** The provider answered 401 to this access token: refresh, once however many callers report it. */
export const tokenRejectedUpdate = defineUpdate<void, [{ accessToken: string }]>('tokenRejected');
/**
 * A call with this access token was refused for the connection's account (Xero: 403): the connection asks the provider
 * whether the token still reaches it, and breaks when it does not (the organisation disconnected the app).
 */
export const tenantRefusedUpdate = defineUpdate<void, [{ accessToken: string }]>('tenantRefused');
export const connectionQuery = defineQuery<ConnectionSummary>('connection');
