import { defineFlow } from '../../kit/declare';
import { reconcileOrders } from './workflow';

export const reconcileOrdersFlow = defineFlow({
  workflow: reconcileOrders,
  description: 'paid orders without an invoice get the invoice flow (the safety net under the webhooks)',
  trigger: { schedule: 'reconcile-orders' },
  versioning: 'PINNED',
  activities: ['listPaidOrders', 'findUninvoicedOrders', 'sendAlert'],
  children: [
    {
      workflow: 'orderPaid',
      id: '<prefix>reconcile:<order id>',
      note: 'per order: the child’s id and its invoice’s Idempotency-Key are both derived from the order id',
    },
  ],
});
