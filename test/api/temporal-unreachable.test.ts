import { loadConfig } from '../../src/config';
import { orderPaidBody, post, type SignedRequest, signShop } from '../helpers/signing';
import { type Stack, startStack, TEST_ADDRESS, uniqueId } from '../helpers/stack';
import { type ProxyMode, TcpProxy } from '../helpers/tcp-proxy';
import { shopifyOrderPaidBody, signShopify, signStripe, stripePaymentBody } from '../sources/senders';
import { startProductionIngress } from './production-ingress';

// Temporal made unreachable between the ingress and the server by a proxy the test controls, in both ways networks
// fail. The ingress is wired exactly as src/api/main.ts wires it (createLazyClient + createWorkflowStarter); the
// workers talk to the server directly, so the flows finish once the ingress has accepted the events.

interface Delivery {
  workflowId: string;
  source: 'shop' | 'shopify' | 'stripe';
  /** Signs afresh, as a sender does on every retry. */
  sign: () => SignedRequest;
}

/** The deadline src/api/main.ts gives every start (startProductionIngress uses it too). */
const SHIPPED_START_TIMEOUT_MS = loadConfig({}).temporal.startTimeoutMs;
/**
 * Shopify, the least patient sender, gives up on a delivery after 5 s: the 503 must reach it before then. The start's
 * deadline is 4 s, and what is left is the room for this process's own event loop on a loaded machine.
 */
const SENDER_TIMEOUT_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each<[string, Exclude<ProxyMode, 'forward'>]>([
  ['stopped (connection refused)', 'refuse'],
  ['black-holed (connection accepted, nothing answered)', 'blackhole'],
])('when Temporal is %s', (_label, mode) => {
  let stack: Stack;
  let proxy: TcpProxy;
  let api: Awaited<ReturnType<typeof startProductionIngress>>;
  const deliveries: Delivery[] = [];
  const refused = new Set<string>();
  let outageAt = 0;
  let recoveredAt = 0;

  const secret = (name: 'shop' | 'shopify' | 'stripe') => stack.config.sources[name].secrets[0]!;
  const send = (d: Delivery) => post(`${api.url}/webhooks/${d.source}`, d.sign());
  const readyStatus = async () => (await fetch(`${api.url}/readyz`)).status;

  async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (!(await probe())) {
      if (Date.now() - started > timeoutMs) throw new Error(`not ${what} within ${timeoutMs} ms`);
      await sleep(100);
    }
    return Date.now() - started;
  }

  /** `orders` orders, each reported paid by the shop and by Shopify, and its payment by Stripe. */
  function newDeliveries(orders: number): Delivery[] {
    return Array.from({ length: orders }).flatMap((): Delivery[] => {
      const order = uniqueId('ORD-');
      const shopId = uniqueId('evt_');
      const shopifyId = uniqueId('wh-');
      const stripeId = uniqueId('evt_');
      const stripeBody = stripePaymentBody(stripeId, order);
      return [
        {
          workflowId: `shop:${shopId}`,
          source: 'shop',
          sign: () => signShop(secret('shop'), shopId, orderPaidBody(shopId, order)),
        },
        {
          workflowId: `shopify:orders/paid:${order}`,
          source: 'shopify',
          sign: () => signShopify(secret('shopify'), shopifyId, shopifyOrderPaidBody(order)),
        },
        { workflowId: `stripe:${stripeId}`, source: 'stripe', sign: () => signStripe(secret('stripe'), stripeBody) },
      ];
    });
  }

  beforeAll(async () => {
    stack = await startStack();
    proxy = await TcpProxy.start(TEST_ADDRESS());
    api = await startProductionIngress(stack.config, proxy.address);
  });
  afterAll(async () => {
    await api.stop();
    await proxy.close();
    await stack.stop();
  });

  test('before the outage, deliveries through the proxy are accepted and the ingress is ready', async () => {
    deliveries.push(...newDeliveries(1));
    for (const d of deliveries) expect((await send(d)).status).toBe(202);
    expect(await readyStatus()).toBe(200);
  });

  test('during the outage, every delivery gets 503 with Retry-After before the sender gives up, and none a 2xx', async () => {
    expect(SHIPPED_START_TIMEOUT_MS).toBeLessThan(SENDER_TIMEOUT_MS);
    await proxy.setMode(mode);
    outageAt = Date.now();
    // New events, and redeliveries of those accepted before the outage, all at once.
    const fresh = newDeliveries(2);
    const timed = await Promise.all(
      [...fresh, ...deliveries].map(async (d) => {
        const started = Date.now();
        const res = await send(d);
        return { d, res, ms: Date.now() - started };
      }),
    );
    for (const { d, res, ms } of timed) {
      expect({ workflowId: d.workflowId, status: res.status }).toEqual({ workflowId: d.workflowId, status: 503 });
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect({ workflowId: d.workflowId, withinSenderTimeout: ms < SENDER_TIMEOUT_MS }).toEqual({
        workflowId: d.workflowId,
        withinSenderTimeout: true,
      });
      refused.add(d.workflowId);
    }
    deliveries.push(...fresh);
    process.stdout.write(`[${mode}] 503 latencies (ms): ${timed.map((t) => t.ms).join(', ')}\n`);
  });

  test('during the outage, /readyz turns unready within 5 s', async () => {
    const ms = await until('unready', async () => (await readyStatus()) === 503, 5000);
    process.stdout.write(
      `[${mode}] /readyz unready ${Date.now() - outageAt} ms after the outage began (${ms} ms polling)\n`,
    );
  });

  test('after recovery, /readyz is ready again and the senders’ retries are accepted', async () => {
    await proxy.setMode('forward');
    recoveredAt = Date.now();
    const ms = await until('ready again', async () => (await readyStatus()) === 200, 15_000);
    process.stdout.write(`[${mode}] /readyz ready ${ms} ms after recovery\n`);
    for (const d of deliveries.filter((x) => refused.has(x.workflowId))) {
      // A sender retries until it gets a 2xx; a 200 duplicate means the refused attempt reached Temporal after all.
      let res = await send(d);
      while (res.status === 503 && Date.now() - recoveredAt < 20_000) {
        await sleep(250);
        res = await send(d);
      }
      expect({ workflowId: d.workflowId, accepted: [200, 202].includes(res.status) }).toEqual({
        workflowId: d.workflowId,
        accepted: true,
      });
    }
  });

  test('every event ends with exactly one execution, and each order with one paid invoice', async () => {
    for (const d of deliveries) {
      const executions = [];
      for await (const e of stack.client.workflow.list({ query: `WorkflowId = "${d.workflowId}"` })) executions.push(e);
      expect({ workflowId: d.workflowId, executions: executions.length }).toEqual({
        workflowId: d.workflowId,
        executions: 1,
      });
      await stack.client.workflow.getHandle(d.workflowId).result();
    }
    const orders = new Set(
      deliveries
        .map((d) => JSON.parse(d.sign().body))
        .map((b) => b.order?.id ?? b.name ?? b.data?.object?.metadata?.order_id),
    );
    expect(orders.size).toBe(3);
    for (const order of orders) {
      const invoices = stack.sandbox.data.accounting.invoices.filter((i) => i.order_id === order);
      expect({ order, invoices: invoices.map((i) => i.status) }).toEqual({ order, invoices: ['paid'] });
    }
  });
});
