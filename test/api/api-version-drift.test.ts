import { API_VERSION_DRIFT } from '../../src/domain/search-attributes';
import { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from '../sources/senders';
import { type InProcessApi, rawHeaders, startInProcessApi } from './in-process';

// Versioning awareness, seen from the ingress: an undeclared provider API version is accepted and flagged three
// ways (log line, counter, search attribute + memo on the start). The dev-server test checks the execution itself.
describe('API version drift', () => {
  let api: InProcessApi;
  beforeAll(async () => {
    api = await startInProcessApi();
  });
  afterAll(() => api.stop());

  const secret = (name: 'shopify' | 'stripe') => api.config.sources[name].secrets[0]!;
  const cases = [
    {
      source: 'shopify',
      version: '2099-01',
      label: 'newer',
      req: () => signShopify(secret('shopify'), 'wh-drift', shopifyOrderPaidBody('ORD-1'), { apiVersion: '2099-01' }),
    },
    {
      source: 'stripe',
      version: '2099-01-01.zeta',
      label: 'newer',
      req: () =>
        signStripe(secret('stripe'), stripePaymentBody('evt_drift', 'ORD-2', { apiVersion: '2099-01-01.zeta' })),
    },
    {
      source: 'shopify',
      version: '2023-04',
      label: 'older',
      req: () => signShopify(secret('shopify'), 'wh-old', shopifyOrderPaidBody('ORD-5'), { apiVersion: '2023-04' }),
    },
    {
      source: 'stripe',
      version: '2025-01-27.acacia',
      label: 'other',
      req: () =>
        signStripe(secret('stripe'), stripePaymentBody('evt_between', 'ORD-6', { apiVersion: '2025-01-27.acacia' })),
    },
    {
      source: 'shopify',
      version: 'unstable',
      label: 'other',
      req: () =>
        signShopify(secret('shopify'), 'wh-unstable', shopifyOrderPaidBody('ORD-7'), { apiVersion: 'unstable' }),
    },
  ] as const;

  test.each(cases)(
    'when $source sends version $version, it is accepted and flagged, counted as $label',
    async ({ source, version, label, req }) => {
      const r = req();
      const answer = await api.send({ path: `/webhooks/${source}`, headers: rawHeaders(r.headers), body: r.body });
      expect(answer.status).toBe(202);

      const start = api.starts.at(-1)!;
      expect(start.memo).toEqual({ apiVersion: version, apiVersionKnown: false });
      expect(start.typedSearchAttributes).toContainEqual({ key: API_VERSION_DRIFT, value: true });

      const line = api.logLines.map((l) => JSON.parse(l)).find((l) => l.apiVersion === version);
      expect(line).toMatchObject({ level: 'warn', source, apiVersion: version, known: expect.any(Array) });
      expect(line.msg).toMatch(/API version not declared/);

      const metrics = await (await fetch(`${api.operatorUrl}/metrics`)).text();
      // The label is a closed set (a sender chooses the version): newer or older than every declared one, or other.
      expect(metrics).toMatch(
        new RegExp(`switchyard_webhook_api_version_drift_total\\{source="${source}",api_version="${label}"\\} \\d`),
      );
      expect(metrics).not.toContain(`api_version="${version}"`);
    },
  );

  test('when the version is declared, nothing is flagged', async () => {
    const r = signShopify(secret('shopify'), 'wh-known', shopifyOrderPaidBody('ORD-3'), { apiVersion: '2025-01' });
    const before = api.logLines.length;
    expect((await api.send({ path: '/webhooks/shopify', headers: rawHeaders(r.headers), body: r.body })).status).toBe(
      202,
    );
    const start = api.starts.at(-1)!;
    expect(start.memo).toEqual({ apiVersion: '2025-01', apiVersionKnown: true });
    expect(start.typedSearchAttributes).not.toContainEqual({ key: API_VERSION_DRIFT, value: true });
    expect(api.logLines.slice(before).join('')).not.toMatch(/API version not declared/);
  });

  test('when a drifted delivery does not parse, it is a 400 naming the field', async () => {
    const body = stripePaymentBody('evt_drift2', 'ORD-4', { apiVersion: '2099-01-01.zeta' }).replace(
      '"amount_received":149900',
      '"amount_received":"149900"',
    );
    const r = signStripe(secret('stripe'), body);
    const answer = await api.send({ path: '/webhooks/stripe', headers: rawHeaders(r.headers), body });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_payload', field: 'data.object.amount_received' });
  });
});
