import { createHash, randomBytes } from 'node:crypto';
import { XERO_SANDBOX_APP } from '../../src/systems/accounting/xero/identity-stand-in';

// Drives the Xero stand-in's OAuth flow as the connection workflow will: authorize (PKCE S256), the code for tokens,
// a refresh. `base` is the stand-in's mount, <sandbox>/accounting-xero.

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const basic = (id: string = XERO_SANDBOX_APP.clientId, secret: string = XERO_SANDBOX_APP.clientSecret) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET /connect/authorize: the redirect's URL (code and state, or error). */
export async function authorize(base: string, params: Record<string, string>): Promise<URL> {
  const url = new URL(`${base}/identity/connect/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  return new URL(res.headers.get('location')!);
}

export function authorizeParams(challenge: string, state = 'st-1'): Record<string, string> {
  return {
    response_type: 'code',
    client_id: XERO_SANDBOX_APP.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'offline_access accounting.transactions accounting.contacts',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
}

/** POST /connect/token with a form and HTTP Basic client auth. */
export async function tokenRequest(base: string, form: Record<string, string>, auth = basic()) {
  const res = await fetch(`${base}/identity/connect/token`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as TokenSet & { error?: string } };
}

/** The whole consent: a token set and the tenant id from /connections. */
export async function connect(base: string): Promise<{ tokens: TokenSet; tenantId: string }> {
  const { verifier, challenge } = pkce();
  const back = await authorize(base, authorizeParams(challenge));
  const res = await tokenRequest(base, {
    grant_type: 'authorization_code',
    code: back.searchParams.get('code')!,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  if (res.status !== 200) throw new Error(`token answered ${res.status}: ${JSON.stringify(res.body)}`);
  const conns = await fetch(`${base}/connections`, { headers: { authorization: `Bearer ${res.body.access_token}` } });
  const [first] = (await conns.json()) as Array<{ tenantId: string }>;
  return { tokens: res.body, tenantId: first!.tenantId };
}
