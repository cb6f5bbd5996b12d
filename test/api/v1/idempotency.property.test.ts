import fc from 'fast-check';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';
import { apiClients, call, type Answer } from './helpers';

// Whatever the order and overlap of N requests over K idempotency keys: K executions, K invoices, K emails, one 201
// per key and the same body for every answer to a key.
describe('idempotency of /api/v1 commands', () => {
  let stack: Stack;
  const clients = apiClients([{ name: 'prop', scopes: ['orders:write'], ratePerSecond: 10_000 }]);

  beforeAll(async () => {
    stack = await startStack({ env: { API_CLIENTS: clients.env } });
  });
  afterAll(() => stack.stop());

  test('any interleaving of N requests over K keys gives exactly K executions and K side effects', async () => {
    const plan = fc
      .integer({ min: 1, max: 3 })
      .chain((k) =>
        fc.record({
          k: fc.constant(k),
          // Each request: which key it uses, and whether the next one waits for it (sequential) or not (concurrent).
          requests: fc.array(fc.record({ key: fc.nat(k - 1), wait: fc.boolean() }), { minLength: k, maxLength: 8 }),
        }),
      )
      .filter(({ k, requests }) => new Set(requests.map((r) => r.key)).size === k);

    await fc.assert(
      fc.asyncProperty(plan, async ({ k, requests }) => {
        const keys = Array.from({ length: k }, () => ({ key: uniqueId('k-'), orderId: uniqueId('ORD-') }));
        const pending: Array<Promise<Answer & { key: number }>> = [];
        for (const r of requests) {
          const { key, orderId } = keys[r.key]!;
          const sent = call(stack.apiUrl, `/api/v1/orders/${orderId}/invoice`, {
            key: clients.keys.prop,
            idempotencyKey: key,
            body: { total: 10, currency: 'EUR', customerEmail: 'p@example.com' },
          }).then((a) => ({ ...a, key: r.key }));
          pending.push(sent);
          if (r.wait) await sent;
        }
        const answers = await Promise.all(pending);
        for (let i = 0; i < k; i += 1) {
          const mine = answers.filter((a) => a.key === i);
          expect(mine.filter((a) => a.status === 201)).toHaveLength(1);
          expect(mine.every((a) => a.status === 201 || a.status === 200)).toBe(true);
          expect(new Set(mine.map((a) => JSON.stringify(a.body))).size).toBe(1);
          let executions = 0;
          for await (const _ of stack.client.workflow.list({
            query: `WorkflowId = "${stack.config.temporal.taskQueuePrefix}api:prop:${keys[i]!.key}"`,
          })) {
            executions += 1;
          }
          expect(executions).toBe(1);
          const { orderId } = keys[i]!;
          expect(stack.sandbox.data.accounting.invoices.filter((inv) => inv.order_id === orderId)).toHaveLength(1);
          const emails = stack.sandbox.data['email-platform'].messages.filter(
            (m) => (m.data as { order_id: string }).order_id === orderId,
          );
          expect(emails).toHaveLength(1);
        }
      }),
      { numRuns: 6 },
    );
  });
});
