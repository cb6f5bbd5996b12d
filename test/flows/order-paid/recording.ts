import type { OrderPaid } from '../../../src/domain/events';
import { type Harness, defineRecording, SCENARIOS, searchAttributes } from '../recording';

// How `npm run record-histories` drives orderPaid through its scenarios (test/flows/recording.ts).

function orderPaidEvent(id: string): OrderPaid {
  return {
    type: 'OrderPaid',
    source: 'shop',
    eventId: `evt_${id}`,
    occurredAt: '2024-11-12T09:41:07Z',
    order: { id: `ORD-${id}`, total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' },
  };
}

export async function runOrderPaid(h: Harness, id: string): Promise<string> {
  const event = orderPaidEvent(id);
  const workflowId = `shop:${event.eventId}`;
  await h.run('orderPaid', [event], {
    workflowId,
    searchAttributes: searchAttributes('shop', event.type, event.eventId, event.order.id),
  });
  return workflowId;
}

// Also an order whose invoice already exists with another total and recipient: the run ends needs-review.
export const recording = defineRecording({
  scenarios: [...SCENARIOS, 'invoice-conflict'],
  steps: {
    success: (h, id) => runOrderPaid(h, id),
    // One 500 from accounting: createInvoice's second attempt succeeds.
    retry: (h, id) => (h.faults('accounting', { failNext: 1 }), runOrderPaid(h, id)),
    // A 400 is final (DownstreamRejected): the flow alerts and fails.
    failure: (h, id) => (h.faults('accounting', { respondNext: { status: 400, count: 1 } }), runOrderPaid(h, id)),
    'invoice-conflict': (h, id) => {
      h.sandbox.data.accounting.invoices.push({
        id: `inv_${id}`,
        order_id: `ORD-${id}`,
        total: 1,
        currency: 'PLN',
        customer_email: 'someone.else@example.com',
        status: 'open',
        payments: [],
        created_at: new Date().toISOString(),
      });
      return runOrderPaid(h, id);
    },
  },
});
