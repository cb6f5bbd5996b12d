import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { logRequest, type SystemState } from '../../../kit/stand-in';
import { XERO_SANDBOX_APP } from './connector';

export { XERO_SANDBOX_APP };

// Xero's identity server, as the sandbox serves it under /accounting-xero/identity (IDENTITY_URL): GET
// /connect/authorize (consents at once and redirects back with a code), POST /connect/token (authorization_code with
// PKCE S256, refresh_token that rotates), and the grants, tokens and connections the API side checks.

/** Xero's lifetimes: an access token lasts 30 minutes, a code 5. */
export const ACCESS_TOKEN_SECONDS = 30 * 60;
const CODE_MS = 5 * 60 * 1000;

export interface XeroApp {
  clientId: string;
  clientSecret: string;
  /** Registered redirect URIs; empty: any http(s) URL on a loopback host (development). */
  redirectUris: string[];
}

export interface XeroTenant {
  /** The connection's id (GET /connections `id`). */
  id: string;
  tenantId: string;
  tenantName: string;
}

/** One consent: the app, the organisation it reaches, and whether the organisation revoked it. */
export interface Grant {
  id: string;
  clientId: string;
  scope: string;
  tenants: XeroTenant[];
  revoked: boolean;
}

interface Code {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
  expiresAt: number;
  used: boolean;
}

export interface IdentityData {
  apps: XeroApp[];
  /** The organisation every consent connects to. */
  organisation: { tenantId: string; tenantName: string };
  grants: Grant[];
  accessTokens: Map<string, { grantId: string; expiresAt: number }>;
  /** Every refresh token issued; `used` once it has been exchanged (a rotating token is good once). */
  refreshTokens: Map<string, { grantId: string; used: boolean }>;
  codes: Map<string, Code>;
  /** Added to the clock: a test moves past an access token's 30 minutes without waiting. */
  clockOffsetMs: number;
}

export function identityData(): IdentityData {
  return {
    apps: [{ ...XERO_SANDBOX_APP, redirectUris: [] }],
    organisation: { tenantId: randomUUID(), tenantName: 'Demo Company (Sandbox)' },
    grants: [],
    accessTokens: new Map(),
    refreshTokens: new Map(),
    codes: new Map(),
    clockOffsetMs: 0,
  };
}

export const nowOf = (data: IdentityData) => Date.now() + data.clockOffsetMs;

const token = () => randomBytes(32).toString('base64url');
const SCOPES = new Set([
  'openid',
  'profile',
  'email',
  'offline_access',
  'accounting.transactions',
  'accounting.transactions.read',
  'accounting.contacts',
  'accounting.contacts.read',
  'accounting.settings',
  'accounting.settings.read',
]);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function redirectAllowed(app: XeroApp, uri: string): boolean {
  if (app.redirectUris.length > 0) return app.redirectUris.includes(uri);
  try {
    const u = new URL(uri);
    return ['http:', 'https:'].includes(u.protocol) && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/** The grant behind a bearer access token, if it is current and not revoked. */
export function grantOfBearer(data: IdentityData, header: string | undefined): Grant | undefined {
  const presented = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const held = data.accessTokens.get(presented);
  if (!held || held.expiresAt <= nowOf(data)) return undefined;
  const grant = data.grants.find((g) => g.id === held.grantId);
  return grant && !grant.revoked ? grant : undefined;
}

/** Revokes the consents reaching `tenantId` (every one when absent): their tokens stop working, refresh fails. */
/** The organisation disconnects the app (Xero's DELETE /connections/{id}): tokens go on refreshing, without it. */
export function disconnect(data: IdentityData, tenantId: string): number {
  let n = 0;
  for (const g of data.grants) {
    const before = g.tenants.length;
    g.tenants = g.tenants.filter((t) => t.tenantId !== tenantId);
    n += before - g.tenants.length;
  }
  return n;
}

export function revoke(data: IdentityData, tenantId?: string): number {
  const grants = data.grants.filter((g) => !tenantId || g.tenants.some((t) => t.tenantId === tenantId));
  for (const g of grants) g.revoked = true;
  return grants.length;
}

function issue(data: IdentityData, grant: Grant) {
  const access = token();
  const refresh = token();
  data.accessTokens.set(access, { grantId: grant.id, expiresAt: nowOf(data) + ACCESS_TOKEN_SECONDS * 1000 });
  data.refreshTokens.set(refresh, { grantId: grant.id, used: false });
  return {
    id_token: token(),
    access_token: access,
    expires_in: ACCESS_TOKEN_SECONDS,
    token_type: 'Bearer',
    refresh_token: refresh,
    scope: grant.scope,
  };
}

/** The identity server's routes, logged in `state`'s request log. */
export function identityRouter(state: SystemState, data: IdentityData): Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false }));
  router.use((req, res, next) => {
    logRequest(state, req, res);
    next();
  });

  router.get('/connect/authorize', (req: Request, res: Response) => {
    const q = req.query as Record<string, string | undefined>;
    const app = data.apps.find((a) => a.clientId === q.client_id);
    // Without a known client and one of its redirect URIs there is nowhere safe to send an error: a page says it.
    if (!app) return void res.status(400).type('text').send('unauthorized_client: unknown client_id');
    if (!q.redirect_uri || !redirectAllowed(app, q.redirect_uri)) {
      return void res.status(400).type('text').send('invalid_request: redirect_uri is not registered for this app');
    }
    const back = new URL(q.redirect_uri);
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (q.state) back.searchParams.set('state', q.state);
      res.redirect(302, back.href);
    };
    if (q.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    const scopes = (q.scope ?? '').split(/\s+/).filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !SCOPES.has(s))) return fail('invalid_scope', 'unknown scope');
    if (!q.state) return fail('invalid_request', 'state is required');
    if (!q.code_challenge || q.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge)) {
      return fail('invalid_request', 'code_challenge with code_challenge_method=S256 is required');
    }
    // The sandbox's user consents at once, to the one organisation.
    const code = token();
    data.codes.set(code, {
      clientId: app.clientId,
      redirectUri: q.redirect_uri,
      challenge: q.code_challenge,
      scope: scopes.join(' '),
      expiresAt: nowOf(data) + CODE_MS,
      used: false,
    });
    back.searchParams.set('code', code);
    back.searchParams.set('scope', scopes.join(' '));
    back.searchParams.set('state', q.state);
    back.searchParams.set('session_state', token());
    res.redirect(302, back.href);
  });

  router.post('/connect/token', (req: Request, res: Response) => {
    const error = (status: number, err: string) => void res.status(status).json({ error: err });
    const basic = req.header('authorization') ?? '';
    const [id, secret] = basic.startsWith('Basic ')
      ? Buffer.from(basic.slice(6), 'base64').toString().split(/:(.*)/s)
      : [];
    const app = data.apps.find((a) => a.clientId === id);
    if (!app || !sameSecret(secret ?? '', app.clientSecret)) return error(401, 'invalid_client');
    const form = (req.body ?? {}) as Record<string, string | undefined>;
    if (form.grant_type === 'authorization_code') {
      const code = data.codes.get(form.code ?? '');
      if (!code || code.used || code.expiresAt <= nowOf(data) || code.clientId !== app.clientId) {
        return error(400, 'invalid_grant');
      }
      if (form.redirect_uri !== code.redirectUri) return error(400, 'invalid_grant');
      const verifier = form.code_verifier ?? '';
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return error(400, 'invalid_grant');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      code.used = true;
      if (challenge !== code.challenge) return error(400, 'invalid_grant');
      const grant: Grant = {
        id: randomUUID(),
        clientId: app.clientId,
        scope: code.scope,
        tenants: [{ id: randomUUID(), ...data.organisation }],
        revoked: false,
      };
      data.grants.push(grant);
      return void res.json(issue(data, grant));
    }
    if (form.grant_type === 'refresh_token') {
      const held = data.refreshTokens.get(form.refresh_token ?? '');
      const grant = held && data.grants.find((g) => g.id === held.grantId);
      if (!held || !grant || held.used || grant.revoked || grant.clientId !== app.clientId) {
        return error(400, 'invalid_grant');
      }
      held.used = true;
      return void res.json(issue(data, grant));
    }
    return error(400, 'unsupported_grant_type');
  });

  return router;
}
