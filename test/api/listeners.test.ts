import { loadConfig } from '../../src/config';
import { type InProcessApi, startInProcessApi } from './in-process';

// What each listener exposes: senders reach the ingress, so it serves webhooks and probes only; metrics and the admin
// API live on the operator listener, bound to loopback unless configured otherwise.
describe('the two listeners', () => {
  const TOKEN = 'an-admin-token-of-sufficient-length';
  let api: InProcessApi;
  beforeAll(async () => {
    api = await startInProcessApi({ ADMIN_TOKEN: TOKEN });
  });
  afterAll(() => api.stop());

  test.each(['/metrics', '/admin/list', '/admin/catalog'])('the public ingress answers 404 for %s', async (path) => {
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  });

  test('the operator listener serves the metrics (the admin API there is tested in test/ops/admin-api)', async () => {
    const res = await fetch(`${api.operatorUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('switchyard_webhooks_total');
  });

  test('both serve the probes, where orchestrators expect them', async () => {
    for (const base of [api.url, api.operatorUrl]) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    }
  });

  test('by default the operator listener and the worker metrics bind loopback only', () => {
    const config = loadConfig({});
    expect(config.operator).toEqual({ host: '127.0.0.1', port: 3001 });
    expect(config.worker.metricsHost).toBe('127.0.0.1');
    expect(config.http.host).toBe('0.0.0.0');
  });
});
