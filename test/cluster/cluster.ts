import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { SYSTEMS } from '../../src/registry';
import { createSandbox, sandboxEnv } from '../../src/sandbox/server';
import { type Part, startPart as startBuiltPart } from '../../scripts/lib/parts';
import { orderPaidBody, signShop } from '../helpers/signing';
import { startPostgres, type Postgres } from '../../scripts/lib/postgres';
import { WORKER_PROCESS_ENV } from '../../src/worker/node-options';
import {
  type ServerBinaries,
  setupSchema,
  startTemporalServer,
  type TemporalServer,
  type TemporalTls,
} from '../../scripts/lib/temporal-server';

const exec = promisify(execFile);

/** What test/cluster/global-setup.ts provides: the built entry points, the binaries, a workflow bundle. */
export interface ClusterEnvironment {
  build: string;
  bundle: string;
  pgBinDir: string;
  server: ServerBinaries;
}

export function clusterEnvironment(): ClusterEnvironment {
  return JSON.parse(process.env.SWITCHYARD_CLUSTER_ENV!) as ClusterEnvironment;
}

export type { Part } from '../../scripts/lib/parts';

export interface Api extends Part {
  url: string;
}

/** A Switchyard process from the build, as production runs it; CLUSTER_VERBOSE=1 shows its log. */
function startPart(name: string, script: string, env: Record<string, string>, ready: string): Promise<Part> {
  const verbose = process.env.CLUSTER_VERBOSE;
  return startBuiltPart(name, script, env, ready, {
    onOutput: verbose ? (chunk) => process.stderr.write(`[${name}] ${chunk}`) : undefined,
  });
}

export interface Cluster {
  dir: string;
  postgres: Postgres;
  temporal: TemporalServer;
  sandbox: ReturnType<typeof createSandbox>;
  sandboxUrl: string;
  env: Record<string, string>;
  shopSecret: string;
  /** A client with the deployment's payload keys, for counting and describing executions. */
  client: Client;
  apis: Api[];
  workers: Part[];
  startApi(extra?: Record<string, string>): Promise<Api>;
  startWorker(extra?: Record<string, string>): Promise<Part>;
  stop(): Promise<void>;
}

/** The Temporal client options a deployment's processes derive from TEMPORAL_TLS_* (the envconfig variables). */
function tlsEnv(tls: TemporalTls | undefined): Record<string, string> {
  if (!tls) return {};
  return {
    TEMPORAL_TLS: 'true',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: tls.ca,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_TLS_CLIENT_CERT_PATH: tls.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: tls.clientKey,
  };
}

/**
 * The production topology on one machine: PostgreSQL, the Temporal server on it (schema by setup-schema.sh,
 * namespace by `npm run setup`'s code from the build), the sandbox as every third party, and `apis` API and
 * `workers` worker processes from `npm run build` output with production configuration.
 */
export async function startCluster(
  options: { apis?: number; workers?: number; tls?: TemporalTls } = {},
): Promise<Cluster> {
  const envr = clusterEnvironment();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cluster-'));
  fs.chmodSync(dir, 0o755);
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const postgres = await startPostgres(envr.pgBinDir, path.join(dir, 'pg'));
    cleanup.push(() => postgres.stop().catch(() => undefined));
    await setupSchema(envr.server, postgres);
    const temporal = await startTemporalServer(envr.server, postgres, dir, { tls: options.tls });
    cleanup.push(() => temporal.stop());

    const keys = Object.fromEntries(SYSTEMS.map((s) => [s.name, `cl_${s.name}_${randomBytes(24).toString('hex')}`]));
    const sandbox = createSandbox(keys);
    const { server: sandboxServer, url: sandboxUrl } = await sandbox.listen(0);
    cleanup.push(() => new Promise((r) => sandboxServer.close(r)));

    const apiKey = randomBytes(24).toString('base64url');
    const shopSecret = `whsec_${randomBytes(24).toString('base64')}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      ...tlsEnv(options.tls),
      SHOP_WEBHOOK_SECRET: shopSecret,
      SHOPIFY_WEBHOOK_SECRET: `shpss_${randomBytes(16).toString('hex')}`,
      STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
      PAYLOAD_KEYS: `cluster:${randomBytes(32).toString('base64')}`,
      API_CLIENTS: JSON.stringify([
        {
          name: 'erp',
          key: `sha256:${createHash('sha256').update(apiKey).digest('hex')}`,
          scopes: ['orders:write', 'contacts:write', 'contacts:read'],
        },
      ]),
      WORKFLOW_BUNDLE_PATH: envr.bundle,
      ...sandboxEnv(sandboxUrl, keys),
    };
    for (const s of SYSTEMS) {
      const p = s.name.toUpperCase().replace(/-/g, '_');
      if (s.auth !== 'secret-url') env[`${p}_API_KEY`] = keys[s.name]!;
      env[`${p}_RATE_LIMIT_PER_SECOND`] = '500';
    }

    // The operator's step after the schema: `npm run setup` registers the namespace, search attributes, retention.
    await exec(process.execPath, [path.join(envr.build, 'src/ops/setup.js')], { env }).catch(
      (err: Error & { stderr?: string }) => {
        throw new Error(`npm run setup failed: ${err.stderr ?? err.message}`, { cause: err });
      },
    );

    const connection = await Connection.connect({
      address: temporal.address,
      tls: options.tls
        ? {
            serverNameOverride: 'localhost',
            serverRootCACertificate: fs.readFileSync(options.tls.ca),
            clientCertPair: {
              crt: fs.readFileSync(options.tls.clientCert),
              key: fs.readFileSync(options.tls.clientKey),
            },
          }
        : undefined,
    });
    cleanup.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const apis: Api[] = [];
    const workers: Part[] = [];
    const cluster: Cluster = {
      dir,
      postgres,
      temporal,
      sandbox,
      sandboxUrl,
      env,
      shopSecret,
      client,
      apis,
      workers,
      async startApi(extra = {}) {
        const part = await startPart(
          `api${apis.length + 1}`,
          path.join(envr.build, 'src/api/main.js'),
          { ...env, PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', ...extra },
          'api listening',
        );
        const api = { ...part, url: part.line.ingress as string };
        apis.push(api);
        return api;
      },
      async startWorker(extra = {}) {
        const part = await startPart(
          `worker${workers.length + 1}`,
          path.join(envr.build, 'src/worker/main.js'),
          { ...env, ...WORKER_PROCESS_ENV, ...extra },
          'worker running',
        );
        workers.push(part);
        return part;
      },
      async stop() {
        await Promise.all([...apis, ...workers].map((p) => p.stop('SIGKILL')));
        for (const c of cleanup.reverse()) await c();
        if (!process.env.CLUSTER_KEEP) fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    for (let i = 0; i < (options.workers ?? 2); i++) await cluster.startWorker();
    for (let i = 0; i < (options.apis ?? 2); i++) await cluster.startApi();
    return cluster;
  } catch (err) {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

/** One signed order.paid delivery of `eventId` to `api`: the status, or the network error's code. */
export async function deliver(
  cluster: Cluster,
  api: Api,
  eventId: string,
  orderId: string,
): Promise<{ status: number; retryAfter?: string; error?: string }> {
  const signed = signShop(cluster.shopSecret, eventId, orderPaidBody(eventId, orderId));
  try {
    const res = await fetch(`${api.url}/webhooks/shop`, { method: 'POST', headers: signed.headers, body: signed.body });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') ?? undefined };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { status: 0, error: cause?.code ?? (err as Error).message };
  }
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Executions of a workflow type in the namespace, by visibility (SQL on PostgreSQL). */
export async function countExecutions(cluster: Cluster, query: string): Promise<number> {
  return (await cluster.client.workflow.count(query)).count;
}

export interface TestEvent {
  eventId: string;
  orderId: string;
}

/** `n` order.paid events with ids unique to this call, tagged for reading logs. */
export function newEvents(n: number, tag: string): TestEvent[] {
  const run = randomBytes(3).toString('hex');
  return Array.from({ length: n }, (_, i) => ({
    eventId: `evt_${tag}_${run}_${i}`,
    orderId: `ORD-${tag}-${run}-${i}`,
  }));
}

/** Sets a sandbox system's faults through its admin API, as a test operator would. */
export async function setFaults(cluster: Cluster, system: string, faults: object): Promise<void> {
  const res = await fetch(`${cluster.sandboxUrl}/__admin/${system}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`faults for ${system}: ${res.status} ${await res.text()}`);
}

/** Invoices and emails for the orders of `events`: total and distinct, so a double shows. */
export function deliveryCounts(cluster: Cluster, events: TestEvent[]) {
  const orders = new Set(events.map((e) => e.orderId));
  const invoices = cluster.sandbox.data.accounting.invoices.filter((i) => orders.has(i.order_id));
  const emails = cluster.sandbox.data['email-platform'].messages.filter((m) =>
    orders.has((m.data as { order_id: string }).order_id),
  );
  return {
    invoices: invoices.length,
    distinctInvoices: new Set(invoices.map((i) => i.order_id)).size,
    emails: emails.length,
    distinctEmails: new Set(emails.map((m) => (m.data as { order_id: string }).order_id)).size,
  };
}

/** Waits until every order of `events` has its email (the flow's last step); returns deliveryCounts then. */
export function untilDelivered(cluster: Cluster, events: TestEvent[], what: string, timeoutMs: number) {
  return until(
    what,
    async () => {
      const c = deliveryCounts(cluster, events);
      return c.distinctEmails >= events.length ? c : undefined;
    },
    timeoutMs,
  );
}
