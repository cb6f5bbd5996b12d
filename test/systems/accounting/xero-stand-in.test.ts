import { loadConfig } from '../../../src/config/index';
import { ApplicationFailure } from '@temporalio/common';
import { ConnectionFailure } from '../../../src/kit/connections/types';
import { createConnectionActivities } from '../../../src/kit/connections/activities';
import { createSandbox, sandboxEnv, sandboxKeys } from '../../../src/sandbox/server';
import { xeroOAuth } from '../../../src/systems/accounting/xero/connector';
import { closeServer } from '../../helpers/stack';
import { authorize, authorizeParams, basic, connect, pkce, REDIRECT_URI, tokenRequest } from '../../helpers/xero';

// The Xero stand-in over HTTP: its identity server (PKCE, rotating refresh tokens, revocation), its auth and tenant
// checks, its limits and their headers, and the model check that refuses what Xero's models do not have.
describe('the Xero stand-in', () => {
  const sandbox = createSandbox(sandboxKeys(loadConfig({ NODE_ENV: 'test' })));
  let url: string;
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const started = await sandbox.listen(0);
    url = started.url;
    base = `${url}/accounting-xero`;
    close = () => closeServer(started.server);
  });
  afterAll(() => close());
  beforeEach(async () => {
    await fetch(`${url}/__admin/reset`, { method: 'POST' });
  });

  const api = (token: string, tenantId: string | undefined, path: string, init: RequestInit = {}) =>
    fetch(`${base}/api.xro/2.0${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
        ...(tenantId ? { 'xero-tenant-id': tenantId } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });

  test('authorize redirects back with the code and state; the code needs its PKCE verifier, once', async () => {
    const { verifier, challenge } = pkce();
    const back = await authorize(base, authorizeParams(challenge, 'state-42'));
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
    expect(back.searchParams.get('state')).toBe('state-42');
    const code = back.searchParams.get('code')!;
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
    const wrong = await tokenRequest(base, { ...form, code_verifier: pkce().verifier });
    expect(wrong).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    // A failed exchange used the code up, as a leaked code must not be tried until it works.
    const again = await tokenRequest(base, { ...form, code_verifier: verifier });
    expect(again.body.error).toBe('invalid_grant');

    const second = pkce();
    const code2 = (await authorize(base, authorizeParams(second.challenge))).searchParams.get('code')!;
    const ok = await tokenRequest(base, { ...form, code: code2, code_verifier: second.verifier });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 1800 });
    expect(ok.body.scope).toBe('offline_access accounting.transactions accounting.contacts');
  });

  test('authorize refuses a request without S256, a bad scope, or an unknown client', async () => {
    const { challenge } = pkce();
    const plain = await authorize(base, { ...authorizeParams(challenge), code_challenge_method: 'plain' });
    expect(plain.searchParams.get('error')).toBe('invalid_request');
    const scope = await authorize(base, { ...authorizeParams(challenge), scope: 'accounting.everything' });
    expect(scope.searchParams.get('error')).toBe('invalid_scope');
    const rt = await authorize(base, { ...authorizeParams(challenge), response_type: 'token' });
    expect(rt.searchParams.get('error')).toBe('unsupported_response_type');
    const res = await fetch(
      `${base}/identity/connect/authorize?${new URLSearchParams({ ...authorizeParams(challenge), client_id: 'nobody' })}`,
      { redirect: 'manual' },
    );
    expect(res.status).toBe(400);
    const secret = await tokenRequest(
      base,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      basic(undefined, 'no'),
    );
    expect(secret).toEqual({ status: 401, body: { error: 'invalid_client' } });
  });

  test('a refresh rotates the refresh token: the used one answers invalid_grant, the new one works', async () => {
    const { tokens } = await connect(base);
    const first = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    const reused = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(reused).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    const next = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
    expect(next.status).toBe(200);
  });

  test('revoking the connection (through /__admin) makes its refresh invalid_grant and its token 401', async () => {
    const { tokens, tenantId } = await connect(base);
    const revoked = await fetch(`${url}/__admin/accounting-xero/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId }),
    });
    expect(await revoked.json()).toEqual({ revoked: 1 });
    const refresh = await tokenRequest(base, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(refresh.body.error).toBe('invalid_grant');
    expect((await api(tokens.access_token, tenantId, '/Invoices')).status).toBe(401);
  });

  test('access tokens expire after 30 minutes; the API needs the tenant header of a connected tenant', async () => {
    const { tokens, tenantId } = await connect(base);
    const conns = await fetch(`${base}/connections`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await conns.json()).toEqual([expect.objectContaining({ tenantId, tenantType: 'ORGANISATION' })]);
    expect((await api(tokens.access_token, tenantId, '/Invoices')).status).toBe(200);
    const missing = await api(tokens.access_token, undefined, '/Invoices');
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ Title: 'Forbidden', Status: 403 });
    expect((await api(tokens.access_token, '00000000-0000-0000-0000-000000000000', '/Invoices')).status).toBe(403);
    sandbox.data['accounting-xero'].identity.clockOffsetMs = 30 * 60 * 1000 + 1;
    const expired = await api(tokens.access_token, tenantId, '/Invoices');
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ Title: 'Unauthorized', Detail: 'AuthenticationUnsuccessful' });
  });

  test('the minute and day windows: 429 with Retry-After and X-Rate-Limit-Problem, remaining counts on every answer', async () => {
    const { tokens, tenantId } = await connect(base);
    await fetch(`${url}/__admin/accounting-xero/limits`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ minute: 2 }),
    });
    const a = await api(tokens.access_token, tenantId, '/Invoices');
    expect(a.headers.get('x-minlimit-remaining')).toBe('1');
    expect(a.headers.get('x-daylimit-remaining')).toBe('4999');
    expect(a.headers.get('x-appminlimit-remaining')).toBe('9999');
    await api(tokens.access_token, tenantId, '/Invoices');
    const over = await api(tokens.access_token, tenantId, '/Invoices');
    expect(over.status).toBe(429);
    expect(over.headers.get('x-rate-limit-problem')).toBe('minute');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(over.headers.get('x-minlimit-remaining')).toBe('0');

    await fetch(`${url}/__admin/accounting-xero/limits`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ minute: 60, day: 2 }),
    });
    const day = await api(tokens.access_token, tenantId, '/Invoices');
    expect(day.status).toBe(429);
    expect(day.headers.get('x-rate-limit-problem')).toBe('day');
    expect(Number(day.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
  });

  test('at most 5 calls in flight per tenant: the sixth is 429 concurrent', async () => {
    const { tokens, tenantId } = await connect(base);
    await fetch(`${url}/__admin/accounting-xero/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 400 }),
    });
    const answers = await Promise.all(Array.from({ length: 6 }, () => api(tokens.access_token, tenantId, '/Invoices')));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.headers.get('x-rate-limit-problem')).toBe('concurrent');
  });

  test('a body the models do not have, a missing field or a value outside an enum is a ValidationException', async () => {
    const { tokens, tenantId } = await connect(base);
    const invoice = {
      Type: 'ACCREC',
      Contact: { Name: 'a@example.com' },
      LineItems: [{ Description: 'x', Quantity: 1, UnitAmount: 10 }],
      CurrencyCode: 'PLN',
      Status: 'AUTHORISED',
    };
    const put = (body: unknown) =>
      api(tokens.access_token, tenantId, '/Invoices', { method: 'PUT', body: JSON.stringify(body) });
    const unknown = await put({ Invoices: [{ ...invoice, Colour: 'red' }] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      Type: 'ValidationException',
      Elements: [{ ValidationErrors: [{ Message: 'Invoices.Invoices[0].Colour is not a property of Invoice' }] }],
    });
    expect((await put({ Invoices: [{ ...invoice, Status: 'APPROVED' }] })).status).toBe(400);
    expect((await put({ Invoices: [{ ...invoice, CurrencyCode: 'XYZ' }] })).status).toBe(400);
    expect((await put({ Invoices: [{ ...invoice, Type: undefined }] })).status).toBe(400);
    expect(
      (
        await put({
          Invoices: [{ ...invoice, CurrencyCode: 'JPY', LineItems: [{ Description: 'x', UnitAmount: 10.5 }] }],
        })
      ).status,
    ).toBe(400);
    const ok = await put({ Invoices: [invoice] });
    expect(ok.status).toBe(200);
    const log = sandbox.systems['accounting-xero'].log.filter((r) => r.method === 'PUT');
    expect(log.map((r) => r.bodyProblems?.length === 0)).toEqual([false, false, false, false, false, true]);
  });

  test("the connection workflow's OAuth activities, with the connector's provider, authorise and refresh here", async () => {
    const keys = sandboxKeys(loadConfig({ NODE_ENV: 'test' }));
    const config = loadConfig({ NODE_ENV: 'test', ...sandboxEnv(url, keys), ACCOUNTING_CONNECTOR: 'xero' });
    const oauth = createConnectionActivities(xeroOAuth(config.systems.accounting.connector.settings));
    const pending = await oauth.beginConnectionAuthorization();
    // The stand-in's user consents at once: the redirect carries the code and the state.
    const consent = await fetch(pending.authorizeUrl, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe(pending.state);
    const { tokens } = await oauth.exchangeConnectionCode({
      code: back.searchParams.get('code')!,
      verifier: pending.verifier,
    });
    // The code is spent: the tenant is found with the new token, in an activity of its own that may be retried.
    await expect(
      oauth.exchangeConnectionCode({ code: back.searchParams.get('code')!, verifier: pending.verifier }),
    ).rejects.toThrow(/refused the authorisation code/);
    const tenant = await oauth.findConnectionTenant({ accessToken: tokens.accessToken });
    expect(await oauth.findConnectionTenant({ accessToken: tokens.accessToken })).toEqual(tenant);
    expect(tenant).toEqual({
      tenantId: sandbox.data['accounting-xero'].identity.organisation.tenantId,
      tenantName: 'Demo Company (Sandbox)',
    });
    const next = await oauth.refreshConnectionToken({ refreshToken: tokens.refreshToken });
    expect(next.refreshToken).not.toBe(tokens.refreshToken);
    const reused = await oauth.refreshConnectionToken({ refreshToken: tokens.refreshToken }).catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(ApplicationFailure);
    expect((reused as ApplicationFailure).type).toBe(ConnectionFailure.broken);
  });
});
