import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, variableDocs } from '../../src/config';
import { queueFor } from '../../src/contracts/task-queues';
import { buildCatalog } from '../../src/catalog/catalog';
import { mermaidId, renderCatalogMarkdown, renderMermaid } from '../../src/catalog/render';
import { SOURCES, SYSTEMS } from '../../src/registry';
import type { SystemDeclaration } from '../../src/kit/declare';
import { createLogger } from '../../src/logger';
import { createSandbox, type ExtraSystem, sandboxEnv, sandboxKeys } from '../../src/sandbox/server';
import { createWorkers } from '../../src/worker/workers';
import { dataConverterFor } from '../../src/temporal/codec';
import { closeServer, TEST_ADDRESS, uniqueId } from '../helpers/stack';
import { type LedgerEntry, ledger, ledgerStandIn } from './fixtures/ledger';

// docs/extending.md's claim, proven: a new downstream system is one declaration, one activities file and one sandbox
// stand-in. Config, queue, worker, rate limit and sandbox routes all come from the declaration.
describe('adding a downstream system', () => {
  const systems = [...(SYSTEMS as readonly SystemDeclaration[]), ledger as SystemDeclaration];
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
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/workflows'),
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
  }, 60_000);
  afterAll(() => stop?.());

  test('its variables are derived from its name and documented', () => {
    const docs = variableDocs({ systems, sources: SOURCES }).filter((d) => d.name.startsWith('LEDGER_'));
    expect(docs.map((d) => d.name)).toEqual(['LEDGER_API_URL', 'LEDGER_API_KEY', 'LEDGER_RATE_LIMIT_PER_SECOND']);
    expect(docs.find((d) => d.name === 'LEDGER_API_KEY')).toMatchObject({ secret: true, requiredInProduction: true });
    expect(() => loadConfig({ NODE_ENV: 'production' }, 'worker', { systems })).toThrow(/LEDGER_API_KEY is required/);
  });

  test('it appears in the catalog: its variables, queue, rate limit, activity and a node in the diagram', () => {
    const catalog = buildCatalog({ systems });
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
});
