import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { protoMs } from '../../src/temporal/time';
import { freePort } from '../../src/dev/temporal-dev-server';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import { setupNamespace } from '../../src/ops/setup';
import { eventually } from './helpers';

// An "existing cluster": a bare dev server, started without our search attributes and with 1 day of retention.
describe('npm run setup on an existing cluster', () => {
  let connection: Connection;
  let child: ReturnType<typeof spawn>;
  beforeAll(async () => {
    const port = await freePort();
    child = spawn(
      process.env.TEMPORAL_CLI_PATH!,
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'],
      {
        stdio: 'ignore',
      },
    );
    connection = await eventually(
      () => Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1000 }),
      30_000,
      300,
    );
    await eventually(() => connection.workflowService.describeNamespace({ namespace: 'default' }), 30_000, 300);
  });
  afterAll(async () => {
    await connection?.close();
    child?.kill('SIGTERM');
  });

  test('registers every missing search attribute and raises retention to 7 days; a second run changes nothing', async () => {
    const first = await setupNamespace(connection, 'default');
    expect(first.added.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    expect(first.retentionDays).toEqual({ before: 1, after: 7 });

    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const key of ALL_SEARCH_ATTRIBUTES) expect(customAttributes?.[key.name]).toBeDefined();
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(protoMs(ns.config?.workflowExecutionRetentionTtl)).toBe(7 * 86_400_000);

    const second = await setupNamespace(connection, 'default');
    expect(second.added).toEqual([]);
    expect(second.existing.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    expect(second.retentionDays).toEqual({ before: 7, after: 7 });
    expect([first.registered, second.registered]).toEqual([false, false]);
  });

  test('a namespace the cluster lacks is registered with 7 days of retention, then set up like any other', async () => {
    const namespace = `switchyard-new-${Date.now()}`;
    const first = await setupNamespace(connection, namespace);
    expect(first.registered).toBe(true);
    expect(first.added.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
    const ns = await connection.workflowService.describeNamespace({ namespace });
    expect(protoMs(ns.config?.workflowExecutionRetentionTtl)).toBe(7 * 86_400_000);
    const second = await setupNamespace(connection, namespace);
    expect({ registered: second.registered, added: second.added }).toEqual({ registered: false, added: [] });
  }, 90_000);
});
