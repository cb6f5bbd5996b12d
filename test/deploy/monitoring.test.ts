import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { TemporalUnavailableError } from '../../src/api/workflow-starter';
import { startInProcessApi } from '../api/in-process';
import { orderPaidBody, post, signShop } from '../helpers/signing';
import { uniqueId } from '../helpers/stack';
import { labelNames, metricNames, parseScrape, type Scrape } from './promql';
import { deliverOrder, startScrapedStack } from './scrape';

const root = path.join(__dirname, '..', '..');
const rulesPath = path.join(root, 'deploy/prometheus/alerts.yml');
const rulesTestPath = path.join(root, 'deploy/prometheus/alerts.test.yml');
const dashboardPath = path.join(root, 'deploy/grafana/switchyard.json');

// Prometheus's rule file format (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/), with
// unknown keys refused as Prometheus refuses them; plus our own policy: every alert pages with a summary and a
// runbook.
const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, 'a Prometheus duration such as 5m or 1h30m');
const alertRule = z
  .object({
    alert: z.string().regex(/^Switchyard[A-Za-z]+$/),
    expr: z.string().min(1),
    for: duration.optional(),
    keep_firing_for: duration.optional(),
    labels: z.object({ severity: z.enum(['page', 'warning']) }).catchall(z.string()),
    annotations: z
      .object({ summary: z.string().min(10), runbook_url: z.string().regex(/^docs\/operating\.md#[a-z0-9-]+$/) })
      .catchall(z.string()),
  })
  .strict();
const ruleFile = z
  .object({
    groups: z.array(
      z.object({ name: z.string().min(1), interval: duration.optional(), rules: z.array(alertRule).min(1) }).strict(),
    ),
  })
  .strict();

const dashboardSchema = z.object({
  uid: z.string(),
  title: z.string(),
  panels: z.array(
    z.object({
      id: z.number().int(),
      type: z.string(),
      title: z.string().min(1),
      gridPos: z.object({ h: z.number(), w: z.number().max(24), x: z.number().min(0), y: z.number().min(0) }),
      targets: z
        .array(
          z.object({
            refId: z.string(),
            expr: z.string().min(1),
            datasource: z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') }),
          }),
        )
        .optional(),
    }),
  ),
});

const rules = ruleFile.parse(parse(fs.readFileSync(rulesPath, 'utf8')));
const alerts = rules.groups.flatMap((g) => g.rules);
const dashboard = dashboardSchema.parse(JSON.parse(fs.readFileSync(dashboardPath, 'utf8')));
const queries = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...alerts.map((a) => ({ where: `alert ${a.alert}`, expr: a.expr })),
];

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const promtool = spawnSync('promtool', ['--version']).status === 0 ? 'promtool' : undefined;

describe('alert rules (deploy/prometheus/alerts.yml)', () => {
  test('the file follows the rule schema: each alert has a severity, a summary and a runbook link', () => {
    // Parsed at load (above); here the parts the schema cannot say.
    const names = alerts.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(
      [
        'SwitchyardActivityRetrying',
        'SwitchyardFlowsFailed',
        'SwitchyardScheduleProblem',
        'SwitchyardSourceSilent',
        'SwitchyardSyncDidNotRun',
        'SwitchyardTaskSlotsSaturated',
        'SwitchyardTemporalUnreachable',
      ].sort(),
    );
    for (const { expr } of alerts) {
      let depth = 0;
      for (const c of expr) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      expect({ expr, depth }).toEqual({ expr, depth: 0 });
    }
  });

  test('a rule file that breaks the schema is refused (the check can fail)', () => {
    const broken = parse(fs.readFileSync(rulesPath, 'utf8')) as { groups: Array<{ rules: Array<object> }> };
    broken.groups[0]!.rules[0] = { ...broken.groups[0]!.rules[0], fro: '5m' };
    expect(ruleFile.safeParse(broken).success).toBe(false);
  });

  test('every runbook_url points at an anchor that exists in docs/operating.md', () => {
    const readme = fs.readFileSync(path.join(root, 'docs', 'operating.md'), 'utf8');
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
    for (const a of alerts) {
      const anchor = a.annotations.runbook_url.split('#')[1]!;
      expect({ alert: a.alert, anchor, exists: anchors.has(anchor) }).toEqual({ alert: a.alert, anchor, exists: true });
    }
  });

  test('promtool accepts the rules and their unit tests pass, when promtool is installed', () => {
    if (!promtool) {
      process.stdout.write('alert rules: schema check only (promtool not installed)\n');
      return;
    }
    process.stdout.write('alert rules: schema check and promtool check rules / test rules\n');
    expect(execFileSync(promtool, ['check', 'rules', rulesPath], { encoding: 'utf8' })).toMatch(/SUCCESS: 7 rules/);
    const config = path.join(root, 'deploy/prometheus/prometheus.yml');
    expect(execFileSync(promtool, ['check', 'config', config], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    const tested = spawnSync(promtool, ['test', 'rules', rulesTestPath], { encoding: 'utf8', cwd: root });
    expect({ status: tested.status, output: tested.stdout + tested.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  });
});

describe('dashboard (deploy/grafana/switchyard.json)', () => {
  test('panels have unique ids, fit the 24-column grid and query the Prometheus datasource variable', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    expect(queries.length).toBeGreaterThan(15);
  });

  test('the metric-name extraction finds names and skips functions, keywords and labels', () => {
    const expr =
      'histogram_quantile(0.99, sum by (le, source) (rate(a_bucket{x="b_c"}[5m]))) / on () b_total offset 1d and c';
    expect(metricNames(expr).sort()).toEqual(['a_bucket', 'b_total', 'c']);
    expect(labelNames(expr).sort()).toEqual(['le', 'source', 'x']);
  });
});

describe('every metric and label the dashboard and the rules use exists in a scrape of the running stack', () => {
  let scrape: Scrape;
  let workerText = '';
  beforeAll(async () => {
    const s = await startScrapedStack();
    const failing = await startInProcessApi(
      {},
      {
        starter: {
          start: () => Promise.reject(new TemporalUnavailableError(new Error('connection refused'))),
          ready: () => Promise.resolve(false),
        },
      },
    );
    try {
      const { stack } = s;
      const prefix = stack.config.temporal.taskQueuePrefix;
      // A throttled first attempt (429, gate closed, a retry), a rejected delivery, a duplicate, a failed flow
      // (400 from accounting), a workflow start refused by Temporal, and a scheduled run.
      await setFaults(stack.sandboxUrl, 'accounting', { respondNext: { status: 429, count: 1 } });
      const first = await deliverOrder(stack);
      expect(first.status).toBe(202);
      await stack.client.workflow.getHandle(first.workflowId).result();
      expect((await deliverOrder(stack, first.workflowId.replace('shop:', ''))).status).toBe(200);
      const forged = await post(`${stack.apiUrl}/webhooks/shop`, signShop('whsec_' + 'A'.repeat(32), 'evt_x', '{}'));
      expect(forged.status).toBe(401);

      await setFaults(stack.sandboxUrl, 'accounting', { respondNext: { status: 400, count: 1 } });
      const failed = await deliverOrder(stack);
      await expect(stack.client.workflow.getHandle(failed.workflowId).result()).rejects.toThrow();

      const refusedId = uniqueId('evt_');
      const refused = await post(
        `${failing.url}/webhooks/shop`,
        signShop(failing.config.sources.shop.secrets[0]!, refusedId, orderPaidBody(refusedId, uniqueId('ORD-'))),
      );
      expect(refused.status).toBe(503);

      const watchdog = stack.client.schedule.getHandle(`${prefix}schedule-watchdog`);
      await watchdog.trigger();
      const ran = await waitFor(async () => {
        const { info } = await watchdog.describe();
        const run = info.recentActions[0]?.action.workflow;
        return run ? stack.client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result() : undefined;
      });
      expect(ran).toBeDefined();

      const texts = await Promise.all(
        [s.workerMetricsUrl, `${stack.adminUrl}/metrics`, `${failing.operatorUrl}/metrics`].map(async (url) =>
          (await fetch(url)).text(),
        ),
      );
      workerText = texts[0]!;
      scrape = parseScrape(texts.join('\n'));
    } finally {
      for (const id of ['contact-sync', 'reconcile-orders', 'schedule-watchdog']) {
        await s.stack.client.schedule
          .getHandle(`${s.stack.config.temporal.taskQueuePrefix}${id}`)
          .delete()
          .catch(() => undefined);
      }
      await failing.stop();
      await s.stop();
    }
  }, 120_000);

  test('the worker counts what happened: the throttled attempt, its retry, the gate closure, the failed flow', () => {
    const sample = (line: string) =>
      new RegExp(`^${line.replace(/[{}"+]/g, '\\$&')} (\\d+)$`, 'm').exec(workerText)?.[1];
    expect({
      firstAttempts: sample(
        'switchyard_activity_attempts_total{system="accounting",activity="createInvoice",attempt="1"}',
      ),
      retries: sample('switchyard_activity_attempts_total{system="accounting",activity="createInvoice",attempt="2"}'),
      retried: sample(
        'switchyard_activity_failures_total{system="accounting",activity="createInvoice",will_retry="true"}',
      ),
      final: sample(
        'switchyard_activity_failures_total{system="accounting",activity="createInvoice",will_retry="false"}',
      ),
      gateClosures: sample('switchyard_gate_closures_total{system="accounting"}'),
    }).toEqual({ firstAttempts: '2', retries: '1', retried: '1', final: '1', gateClosures: '1' });
    expect(workerText).toMatch(/^switchyard_flow_status\{[^}]*status="failed"[^}]*workflowType="orderPaid"\} 1$/m);
    expect(workerText).toMatch(/^switchyard_schedule_lag_seconds\{[^}]*workflowType="scheduleWatchdog"\} [\d.]+$/m);
  });

  test.each(queries.map((q) => [q.where, q.expr]))('%s', (_where, expr) => {
    const names = metricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    const missing = names.filter((n) => !scrape.metrics.has(n));
    expect({ expr, missing }).toEqual({ expr, missing: [] });
    // Label names are checked against the samples; every metric used here has at least one by now.
    const seen = new Set(names.flatMap((n) => [...scrape.metrics.get(n)!]));
    expect({ expr, unsampled: names.filter((n) => scrape.metrics.get(n)!.size === 0) }).toEqual({
      expr,
      unsampled: [],
    });
    const unknown = labelNames(expr).filter((l) => !seen.has(l));
    expect({ expr, unknown }).toEqual({ expr, unknown: [] });
  });
});

async function setFaults(sandboxUrl: string, system: string, faults: object): Promise<void> {
  const res = await fetch(`${sandboxUrl}/__admin/${system}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`faults for ${system} refused: ${res.status} ${await res.text()}`);
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
