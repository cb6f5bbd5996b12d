import type { Config } from '../config';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { accountingRouter, type SandboxInvoice } from './accounting';
import { alertsRouter, type SandboxAlert } from './alerts';
import { faultsSchema, SystemState } from './core';
import { emailRouter, type SandboxMessage } from './email';
import { createCrmData, crmRouter } from './crm';
import { createEmailContactData, emailContactsRouter } from './email-contacts';
import { createShopData, shopRouter } from './shop';

/** The API keys the sandbox's systems accept: the ones the configured clients send. */
export function sandboxKeys(config: Pick<Config, 'downstream'>): SandboxKeys {
  const d = config.downstream;
  return { accounting: d.accounting.apiKey, email: d.email.apiKey, crm: d.crm.apiKey, shop: d.shop.apiKey };
}

export interface SandboxKeys {
  accounting: string;
  email: string;
  crm: string;
  shop: string;
}

/**
 * The stand-ins for the third-party systems, on one Express app: /accounting, /email, /crm, /shop, /alerts, and /__admin to
 * inspect requests and inject faults (latency, 500s, 429 with Retry-After, a real rate limit, outage, held requests).
 */
export function createSandbox(keys: SandboxKeys) {
  const systems = {
    accounting: new SystemState('accounting', keys.accounting),
    email: new SystemState('email', keys.email),
    crm: new SystemState('crm', keys.crm),
    shop: new SystemState('shop', keys.shop),
  };
  // Record stores keyed by id, kept apart from `data`'s lists.
  const stores = { crm: createCrmData(), emailContacts: createEmailContactData(), shop: createShopData() };
  const data = {
    invoices: [] as SandboxInvoice[],
    messages: [] as SandboxMessage[],
    alerts: [] as SandboxAlert[],
  };

  const app: Express = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => res.json({ ok: true }));
  app.use('/accounting', accountingRouter(systems.accounting, data.invoices));
  app.use('/email/contacts', emailContactsRouter(systems.email, stores.emailContacts));
  app.use('/email', emailRouter(systems.email, data.messages));
  app.use('/crm', crmRouter(systems.crm, stores.crm));
  app.use('/shop', shopRouter(systems.shop, stores.shop));
  app.use('/alerts', alertsRouter(data.alerts));

  const admin = express.Router();
  admin.use(express.json());
  const systemOf = (name: string) => systems[name as keyof typeof systems];
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
    for (const list of Object.values(data)) list.length = 0;
    stores.crm.contacts.clear();
    stores.emailContacts.contacts.clear();
    stores.emailContacts.byExternalId.clear();
    stores.shop.orders.clear();
    res.json({ ok: true });
  });
  app.use('/__admin', admin);

  return {
    app,
    systems,
    data,
    stores,
    /** Listens on `port` (0 for any free one) and resolves with the server and its base URL. */
    async listen(port: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, host, () => resolve(s)).on('error', reject);
      });
      const { port: actual } = server.address() as AddressInfo;
      return { server, url: `http://${host}:${actual}` };
    },
  };
}

export type Sandbox = ReturnType<typeof createSandbox>;
