import { withLongKeepAlive } from '../http/keep-alive';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Config } from '../config';
import { SYSTEMS, type SystemName } from '../registry';
import { envPrefix, type SystemDeclaration } from '../kit/declare';
import { faultsSchema, type StandIn, SystemState } from '../kit/stand-in';
import { CONNECTOR_STAND_INS, STAND_INS } from './stand-ins';
import { TraceStore, tracesRouter } from './traces';

type DataOf<F> = F extends (state: SystemState) => StandIn<infer D> ? D : never;
/** The data each built-in stand-in keeps, by system name: what tests and newcomers inspect. */
export type SandboxData = { [N in SystemName]: DataOf<(typeof STAND_INS)[N]> } & {
  [N in keyof typeof CONNECTOR_STAND_INS]: DataOf<(typeof CONNECTOR_STAND_INS)[N]>;
};
type BuiltinStates = { [N in SystemName | keyof typeof CONNECTOR_STAND_INS]: SystemState };

/** A system declared outside SYSTEMS (a test's throwaway system), with the stand-in the sandbox mounts for it. */
export interface ExtraSystem {
  system: SystemDeclaration;
  standIn: (state: SystemState) => StandIn;
}

/** The credential each system's stand-in accepts: the configured API key, or the token in a secret URL. */
export function sandboxKeys(config: Pick<Config, 'systems'>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.systems).map(([name, s]) => [
      name,
      s.secretUrl ? (new URL(s.url).pathname.split('/').filter(Boolean).pop() ?? '') : (s.apiKey ?? ''),
    ]),
  );
}

/**
 * The stand-ins for the third-party systems, on one Express app: each declared system at /<name> (a secret-URL system
 * at /<name>/<token>), and /__admin to inspect requests and inject faults (latency, 500s, 429 with Retry-After, a
 * real rate limit, outage, held requests).
 */
export function createSandbox(keys: Record<string, string>, extra: readonly ExtraSystem[] = []) {
  const builtins: ExtraSystem[] = SYSTEMS.map((system) => ({
    system: system as SystemDeclaration,
    standIn: STAND_INS[system.name] as (state: SystemState) => StandIn,
  }));
  const declared = [...builtins, ...extra];
  const systems: Record<string, SystemState> = {};
  const standIns: Record<string, StandIn> = {};
  const app: Express = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => res.json({ ok: true }));
  const traces = new TraceStore();
  app.use(tracesRouter(traces));
  for (const { system, standIn: makeStandIn } of declared) {
    const key = keys[system.name];
    if (!key) throw new Error(`sandbox: no key for system "${system.name}"`);
    const state = new SystemState(system.name, key, system.auth);
    const standIn = makeStandIn(state);
    systems[system.name] = state;
    standIns[system.name] = standIn;
    app.use(system.auth === 'secret-url' ? `/${system.name}/:token` : `/${system.name}`, standIn.router);
  }
  // A connector's stand-in at /<system>-<connector>, with auth of its own (Xero's OAuth): the system's key is unused.
  const connectorStandIns = CONNECTOR_STAND_INS as Record<string, (state: SystemState) => StandIn>;
  for (const [name, makeStandIn] of Object.entries(connectorStandIns)) {
    const state = new SystemState(name, '', 'bearer');
    const standIn = makeStandIn(state);
    systems[name] = state;
    standIns[name] = standIn;
    app.use(`/${name}`, standIn.router);
  }

  const admin = express.Router();
  for (const [name, standIn] of Object.entries(standIns)) if (standIn.admin) admin.use(`/${name}`, standIn.admin);
  admin.use(express.json());
  const systemOf = (name: string) => systems[name];
  admin.put('/:system/faults', (req, res) => {
    const state = systemOf(req.params.system);
    if (!state) return void res.status(404).json({ error: 'unknown_system', systems: Object.keys(systems) });
    const parsed = faultsSchema.safeParse(req.body ?? {});
    if (!parsed.success) return void res.status(400).json({ error: 'invalid', issues: parsed.error.issues });
    state.setFaults(parsed.data);
    res.json(state.faults);
  });
  admin.post('/:system/release', (req, res) => {
    const state = systemOf(req.params.system);
    if (!state) return void res.status(404).json({ error: 'unknown_system' });
    res.json({ released: state.release() });
  });
  admin.get('/:system/requests', (req, res) => {
    const state = systemOf(req.params.system);
    if (!state) return void res.status(404).json({ error: 'unknown_system' });
    res.json({ data: state.log, held: state.heldCount });
  });
  admin.post('/reset', (_req, res) => {
    for (const s of Object.values(systems)) s.reset();
    for (const s of Object.values(standIns)) s.reset();
    res.json({ ok: true });
  });
  app.use('/__admin', admin);

  return {
    app,
    /** Each system's state: faults, request log, idempotency records. */
    systems: systems as BuiltinStates & Record<string, SystemState | undefined>,
    /** Each system's records, by system name (sandbox.data.accounting.invoices, sandbox.data.crm.contacts, …). */
    data: Object.fromEntries(Object.entries(standIns).map(([n, s]) => [n, s.data])) as SandboxData &
      Record<string, unknown>,
    /** Spans received over OTLP/HTTP at /v1/traces (shown at /traces). */
    traces,
    /** Listens on `port` (0 for any free one) and resolves with the server and its base URL. */
    async listen(port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
      const server = await new Promise<Server>((resolve, reject) => {
        const s = withLongKeepAlive(app.listen(port, host, () => resolve(s))).on('error', reject);
      });
      const { port: actual } = server.address() as AddressInfo;
      return { server, url: `http://${host}:${actual}` };
    },
  };
}

export type Sandbox = ReturnType<typeof createSandbox>;

/** The variables that point every declared system at a sandbox at `sandboxUrl` (tests, the history recorder). */
export function sandboxEnv(sandboxUrl: string, keys: Record<string, string>, extra: readonly SystemDeclaration[] = []) {
  const env: Record<string, string> = {};
  for (const system of [...(SYSTEMS as readonly SystemDeclaration[]), ...extra]) {
    const p = system.name.toUpperCase().replace(/-/g, '_');
    if (system.auth === 'secret-url') env[`${p}_WEBHOOK_URL`] = `${sandboxUrl}/${system.name}/${keys[system.name]}`;
    else env[`${p}_API_URL`] = `${sandboxUrl}/${system.name}`;
    // A connector's stand-in URLs and development credentials, for when a deployment selects it.
    for (const connector of system.connectors ?? []) {
      for (const v of connector.variables) {
        if (v.development) env[`${p}_${envPrefix(connector.name)}_${v.suffix}`] = v.development(sandboxUrl);
      }
    }
  }
  return env;
}
