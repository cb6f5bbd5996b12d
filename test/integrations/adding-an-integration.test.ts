import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, variableDocs } from '../../src/config';
import { queueFor } from '../../src/contracts/task-queues';
import { buildCatalog } from '../../src/catalog/catalog';
import {
  flowFolder,
  mermaidId,
  renderBundle,
  renderCatalogMarkdown,
  renderCompose,
  renderEnvExample,
  renderMermaid,
} from '../../src/catalog/render';
import { FLOWS, SOURCES, SYSTEMS } from '../../src/registry';
import type { FlowDeclaration, SourceDeclaration, SystemDeclaration } from '../../src/kit/declare';
import { createLogger } from '../../src/logger';
import { createSandbox, type ExtraSystem, sandboxEnv, sandboxKeys } from '../../src/sandbox/server';
import { createWorkers } from '../../src/worker/workers';
import { dataConverterFor } from '../../src/temporal/codec';
import { closeServer, TEST_ADDRESS, uniqueId } from '../helpers/stack';
import { startInProcessApi } from '../api/in-process';
import { hookSource } from './fixtures/hook-source';
import { type LedgerEntry, ledger, ledgerStandIn } from './fixtures/ledger';
import { ledgerFlowDeclaration, misroutedLedgerFlowDeclaration } from './fixtures/ledger-flow';

const root = path.join(__dirname, '..', '..');

/**
 * The workflow bundle's entry as `npm run catalog` generates it for `flows`, in a folder of its own: each flow's
 * src/flows/<name>/workflow.ts is the real one, or the fixture's for a throwaway flow.
 */
function generatedBundle(flows: Record<string, FlowDeclaration<never>>, fixtures: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-bundle-'));
  // The entry imports @temporalio/workflow, resolved from the folder it stands in.
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const type of Object.keys(flows)) {
    const folder = path.join(dir, flowFolder(type));
    fs.mkdirSync(folder);
    const from = fixtures[type] ?? path.join(root, 'src', 'flows', flowFolder(type), 'workflow');
    fs.writeFileSync(path.join(folder, 'workflow.ts'), `export { ${type} } from ${JSON.stringify(from)};\n`);
  }
  const entry = path.join(dir, 'bundle.ts');
  fs.writeFileSync(entry, renderBundle(buildCatalog({ systems, sources, flows })));
  return entry;
}

// docs/extending.md's claim, proven: a new system, source or flow is its folder and its line in the registry.
// Config, queues, workers, the sandbox, the ingress, the workflow bundle, the catalog, .env.example and the compose
// environment all pick it up from the declarations: here the registry's lists plus throwaway ones.
const systems = [...(SYSTEMS as readonly SystemDeclaration[]), ledger as SystemDeclaration];
const sources = [...(SOURCES as readonly SourceDeclaration[]), hookSource as SourceDeclaration];
const flows = {
  ...(FLOWS as Record<string, FlowDeclaration<never>>),
  ledgerFlow: ledgerFlowDeclaration as FlowDeclaration<never>,
  misroutedLedgerFlow: misroutedLedgerFlowDeclaration as FlowDeclaration<never>,
};

describe('adding a downstream system and a flow through it', () => {
  const probe = loadConfig({ NODE_ENV: 'test' }, 'all', { systems });
  const keys = sandboxKeys(probe);
  const sandbox = createSandbox(keys, [
    { system: ledger as SystemDeclaration, standIn: ledgerStandIn as ExtraSystem['standIn'] },
  ]);
  let stop: () => Promise<void>;
  let client: Client;
  let prefix: string;

  beforeAll(async () => {
    const { server, url } = await sandbox.listen(0);
    prefix = `${uniqueId()}-`;
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        TASK_QUEUE_PREFIX: prefix,
        ...sandboxEnv(url, keys, [ledger as SystemDeclaration]),
      },
      'all',
      { systems },
    );
    const fixture = path.join(__dirname, 'fixtures', 'ledger-flows');
    const bundle = await bundleWorkflowCode({
      workflowsPath: generatedBundle(flows, { ledgerFlow: fixture, misroutedLedgerFlow: fixture }),
      logger: new DefaultLogger('WARN'),
    });
    const connection = await NativeConnection.connect({ address: TEST_ADDRESS() });
    const workers: Worker[] = await createWorkers({
      connection,
      namespace: 'default',
      config,
      logger: createLogger({ level: 'silent' }),
      workflowBundle: bundle,
      systems,
    });
    const running = Promise.all(workers.map((w) => w.run()));
    const clientConnection = await Connection.connect({ address: TEST_ADDRESS() });
    client = new Client({
      connection: clientConnection,
      namespace: 'default',
      dataConverter: dataConverterFor(config),
    });
    stop = async () => {
      for (const w of workers) w.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
      await closeServer(server);
    };
  }, 120_000);
  afterAll(() => stop?.());

  test('its variables are derived from its name and documented', () => {
    const docs = variableDocs({ systems, sources: SOURCES }).filter((d) => d.name.startsWith('LEDGER_'));
    expect(docs.map((d) => d.name)).toEqual(['LEDGER_API_URL', 'LEDGER_API_KEY', 'LEDGER_RATE_LIMIT_PER_SECOND']);
    expect(docs.find((d) => d.name === 'LEDGER_API_KEY')).toMatchObject({ secret: true, requiredInProduction: true });
    expect(() => loadConfig({ NODE_ENV: 'production' }, 'worker', { systems })).toThrow(/LEDGER_API_KEY is required/);
  });

  test('it appears in the catalog: its variables, queue, rate limit, activity and a node in the diagram', () => {
    const catalog = buildCatalog({ systems, sources, flows });
    expect(catalog.systems.find((s) => s.name === 'ledger')).toMatchObject({
      title: 'General ledger',
      url: { variable: 'LEDGER_API_URL' },
      credentials: ['LEDGER_API_KEY'],
      rateLimit: { perSecond: 5, variable: 'LEDGER_RATE_LIMIT_PER_SECOND' },
      taskQueue: 'ledger',
      activities: [expect.objectContaining({ name: 'postLedgerEntry', idempotencyKey: 'ledger-entry:<order id>' })],
    });
    expect(renderMermaid(catalog)).toContain(`${mermaidId('system', 'ledger')}[(`);
    expect(renderCatalogMarkdown(catalog)).toContain('### ledger: General ledger');
  });

  test('a flow through it runs on its own queue, authenticated, with its idempotency key, once', async () => {
    const orderId = uniqueId('ORD-');
    const workflowId = `ledger:${orderId}`;
    const run = () =>
      client.workflow.execute('ledgerFlow', {
        workflowId,
        taskQueue: queueFor(prefix, 'orchestration'),
        args: [{ orderId, amount: 1499 }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    const entryId = await run();
    const entries = (sandbox.data as unknown as { ledger: { entries: LedgerEntry[] } }).ledger.entries;
    expect(entries.filter((e) => e.order_id === orderId)).toEqual([{ id: entryId, order_id: orderId, amount: 1499 }]);
    const calls = sandbox.systems.ledger!.log.filter((r) => r.method === 'POST');
    expect(calls.map((c) => [c.status, c.idempotencyKey])).toEqual([[201, `ledger-entry:${orderId}`]]);
  });

  test('its activity sent to another system’s queue fails the flow at once (not registered there), with an alert', async () => {
    const orderId = uniqueId('ORD-');
    const err = await client.workflow
      .execute('misroutedLedgerFlow', {
        workflowId: `misrouted:${orderId}`,
        taskQueue: queueFor(prefix, 'orchestration'),
        args: [{ orderId, amount: 1 }],
        workflowExecutionTimeout: '30s',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause as ActivityFailure;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect(activityFailure.cause).toBeInstanceOf(ApplicationFailure);
    expect((activityFailure.cause as ApplicationFailure).type).toBe('NotFoundError');
    expect(sandbox.data.alerts.received.some((a) => a.payload.business_key === orderId)).toBe(true);
    const entries = (sandbox.data as unknown as { ledger: { entries: LedgerEntry[] } }).ledger.entries;
    expect(entries.some((e) => e.order_id === orderId)).toBe(false);
  });

  test('the flow is in the catalog, with its trigger, activities, queue and versioning, and in the bundle', () => {
    const catalog = buildCatalog({ systems, sources, flows });
    expect(catalog.workflows.find((w) => w.name === 'ledgerFlow')).toMatchObject({
      startedBy: { kind: 'other', by: 'the adding-a-system test' },
      activities: [{ name: 'postLedgerEntry', system: 'ledger', taskQueue: 'ledger' }],
      versioning: { behavior: 'PINNED', note: null },
    });
    const bundle = renderBundle(catalog);
    expect(bundle).toContain("import { ledgerFlow } from './ledger-flow/workflow';");
    expect(bundle).toContain("setWorkflowOptions(behaviour('AUTO_UPGRADE'), misroutedLedgerFlow);");
    expect(renderCatalogMarkdown(catalog)).toContain('ledgerFlow');
  });

  test('its variables reach .env.example and the worker’s compose environment, not the API’s', () => {
    const catalog = buildCatalog({ systems, sources, flows });
    expect(renderEnvExample(catalog)).toMatch(/^LEDGER_API_KEY=$/m);
    const compose = renderCompose(catalog, fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'));
    const service = (name: string) => compose.slice(compose.indexOf(`\n  ${name}:\n`)).split(/\n {2}\S/)[1]!;
    expect(service('worker')).toContain('- LEDGER_API_KEY=${LEDGER_API_KEY:?set LEDGER_API_KEY}');
    expect(service('worker')).toContain('- LEDGER_API_URL=${LEDGER_API_URL:?set LEDGER_API_URL}');
    expect(service('api')).not.toContain('LEDGER_');
  });
});

describe('adding a webhook source', () => {
  test('its secret is a variable: required in production, checked, derived in development', () => {
    const docs = variableDocs({ systems: SYSTEMS, sources }).filter((d) => d.name.startsWith('HOOK_'));
    expect(docs).toEqual([expect.objectContaining({ name: 'HOOK_WEBHOOK_SECRET', secret: true })]);
    expect(() => loadConfig({ NODE_ENV: 'production' }, 'api', { sources })).toThrow(/HOOK_WEBHOOK_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'test', HOOK_WEBHOOK_SECRET: 'short' }, 'api', { sources })).toThrow(
      /HOOK_WEBHOOK_SECRET.*at least 24/,
    );
    const config = loadConfig({ NODE_ENV: 'test' }, 'api', { sources });
    expect((config.sources as Record<string, { secrets: string[] }>).hook?.secrets).toEqual([
      expect.stringMatching(/^hook_[0-9a-f]{40}$/),
    ]);
  });

  test('the catalog, .env.example and the API’s compose environment list it', () => {
    const catalog = buildCatalog({ systems, sources, flows });
    expect(catalog.sources.find((s) => s.name === 'hook')).toMatchObject({ title: 'Hook (a test source)' });
    expect(renderEnvExample(catalog)).toMatch(/^HOOK_WEBHOOK_SECRET=$/m);
    const compose = renderCompose(catalog, fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'));
    const api = compose.slice(compose.indexOf('\n  api:\n')).split(/\n {2}\S/)[1]!;
    expect(api).toContain('- HOOK_WEBHOOK_SECRET=${HOOK_WEBHOOK_SECRET:?set HOOK_WEBHOOK_SECRET}');
  });

  test('the ingress serves it: its sender’s delivery starts the flow of its event; a forged one is a 401', async () => {
    const api = await startInProcessApi({}, { sources });
    try {
      const secret = (api.config.sources as Record<string, { secrets: string[] }>).hook!.secrets[0]!;
      const orderId = uniqueId('ORD-');
      const body = hookSource.sender.body('hk_first', orderId);
      const signed = hookSource.sender.sign(secret, body, { eventId: 'hk_first' });
      const send = (headers: Record<string, string>) =>
        api.send({ path: '/webhooks/hook', headers: Object.entries(headers), body });
      expect((await send(signed.headers)).status).toBe(202);
      expect(api.starts).toEqual([
        expect.objectContaining({ workflowType: 'orderPaid', workflowId: expect.stringContaining('hook:hk_first') }),
      ]);
      const forged = { ...signed.headers, 'x-hook-signature': '0'.repeat(64) };
      expect((await send(forged)).status).toBe(401);
      expect(api.starts).toHaveLength(1);
      const metrics = await (await fetch(`${api.operatorUrl}/metrics`)).text();
      expect(metrics).toMatch(
        /switchyard_webhooks_total\{source="hook",event_type="order\.settled",outcome="accepted"/,
      );
    } finally {
      await api.stop();
    }
  });
});
