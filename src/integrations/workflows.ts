import type { TemporalActivities } from '../activities/temporal';
import { idempotencyKey } from '../kit/keys';
import type { CanonicalEvent, OrderPaid, PaymentSucceeded } from '../domain/events';
import { contactSync } from '../workflows/contact-sync';
import { invoiceOrder, type InvoiceOrderInput } from '../workflows/invoice-order';
import { orderPaid } from '../workflows/order-paid';
import { upsertContact } from '../workflows/upsert-contact';
import { paymentSucceeded } from '../workflows/payment-succeeded';
import { reconcileOrders } from '../workflows/reconcile-orders';
import { scheduleWatchdog } from '../workflows/schedule-watchdog';
import { syncState } from '../workflows/sync-state';
import { throttleGate } from '../workflows/throttle-gate';
import type { ActivitiesOf, SystemName } from '../workflows/activities';
import type { ActivityDoc } from '../kit/declare';

// Every workflow type, declared once with what starts it and what it changes outside Temporal. The workflow is
// referenced, not named, so renaming one is a compile error here. The ingress routes canonical events with FLOWS;
// `redrive --dry-run` and the catalog read the activities each one schedules.

/** Any activity a workflow can schedule: a declared system's, or one that only talks to Temporal. */
export type ActivityName = { [N in SystemName]: keyof ActivitiesOf<N> & string }[SystemName] | keyof TemporalActivities;

export interface WorkflowDeclaration<I = never> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- workflow signatures vary.
  workflow: (...args: any[]) => Promise<unknown>;
  description: string;
  trigger: { event: CanonicalEvent['type'] } | { schedule: string } | { by: string };
  /** The activities it schedules, in order; each side effect's key is computed from the input where it can be. */
  activities: ActivityName[];
  keys?: Partial<Record<ActivityName, (input: I) => string>>;
  /** Child workflows it starts, and what keeps them from running twice. */
  children?: Array<{ workflow: string; id: string; note: string }>;
}

function declare<I>(d: WorkflowDeclaration<I>): WorkflowDeclaration<never> {
  return d as WorkflowDeclaration<never>;
}

/**
 * The invoice step's keys (src/workflows/invoice-and-email.ts), by order id: the same for the webhook's orderPaid and
 * the API's invoiceOrder, which is what makes an order invoiced by both paths one invoice and one email.
 */
const INVOICE_KEYS = {
  createInvoice: (i: { order: { id: string } }) => idempotencyKey('invoice', i.order.id),
  sendInvoiceEmail: (i: { order: { id: string } }) => idempotencyKey('invoice-email', i.order.id),
};

export const WORKFLOWS = {
  orderPaid: declare<OrderPaid>({
    workflow: orderPaid,
    description: 'an order was paid: invoice it in accounting, then email the invoice to the customer',
    trigger: { event: 'OrderPaid' },
    activities: ['createInvoice', 'sendInvoiceEmail', 'sendAlert'],
    keys: INVOICE_KEYS,
  }),
  invoiceOrder: declare<InvoiceOrderInput>({
    workflow: invoiceOrder,
    description:
      'POST /api/v1/orders/{orderId}/invoice: invoices the order and emails the invoice (orderPaid’s activities and ' +
      'keys, under the command profile), answering the caller through the commandResult update',
    trigger: { by: 'POST /api/v1/orders/{orderId}/invoice, id <prefix>api:<client>:<Idempotency-Key>' },
    activities: ['createInvoice', 'sendInvoiceEmail', 'sendAlert'],
    keys: INVOICE_KEYS,
  }),
  upsertContact: declare({
    workflow: upsertContact,
    description:
      'POST /api/v1/contacts: creates or updates the contact in the caller’s system, which owns every field it sent ' +
      '(the contact sync copies it on); answered through the commandResult update',
    trigger: { by: 'POST /api/v1/contacts, id <prefix>api:<client>:<Idempotency-Key>' },
    activities: ['upsertCrmContact', 'upsertEmailContactConsent', 'sendAlert'],
  }),
  paymentSucceeded: declare<PaymentSucceeded>({
    workflow: paymentSucceeded,
    description: "a payment succeeded: record it against the order's invoice",
    trigger: { event: 'PaymentSucceeded' },
    activities: ['markInvoicePaid', 'sendAlert'],
    keys: { markInvoicePaid: (e) => idempotencyKey('invoice-payment', e.payment.id) },
  }),
  contactSync: declare({
    workflow: contactSync,
    description:
      "copies each contact field from its owner to the other system, from the last run's watermark; also re-sends " +
      'records from its dead-letter list on demand (`sync-dlq retry`)',
    trigger: { schedule: 'contact-sync' },
    activities: [
      'claimSyncWriter',
      'readSyncState',
      'listEmailContactChanges',
      'listCrmContactChanges',
      'upsertEmailContacts',
      'settleDeadLetters',
      'sendDeadLetterAlert',
      'patchCrmContactRecords',
      'patchCrmContacts',
      'advanceSyncState',
      'releaseSyncWriter',
      'sendAlert',
    ],
  }),
  syncState: declare({
    workflow: syncState,
    description:
      "holds a sync's watermark (read by query, advanced by update, never backwards) and its dead-letter list",
    trigger: { by: 'contactSync, on first use (USE_EXISTING)' },
    activities: [],
  }),
  reconcileOrders: declare({
    workflow: reconcileOrders,
    description: 'paid orders without an invoice get the invoice flow (the safety net under the webhooks)',
    trigger: { schedule: 'reconcile-orders' },
    activities: ['listPaidOrders', 'findUninvoicedOrders', 'sendAlert'],
    children: [
      {
        workflow: 'orderPaid',
        id: '<prefix>reconcile:<order id>',
        note: 'per order: the child’s id and its invoice’s Idempotency-Key are both derived from the order id',
      },
    ],
  }),
  scheduleWatchdog: declare({
    workflow: scheduleWatchdog,
    description: "dead-man's switch: one alert per new problem with any schedule",
    trigger: { schedule: 'schedule-watchdog' },
    activities: ['inspectSchedules', 'sendScheduleAlert'],
  }),
  throttleGate: declare({
    workflow: throttleGate,
    description:
      'one per downstream system while it has asked us to wait (429, or 503 with Retry-After): keeps the window ' +
      'every worker replica reads before calling it, and completes when the window has passed',
    trigger: { by: 'the client layer, on a 429 (Update-With-Start, USE_EXISTING)' },
    activities: [],
  }),
} satisfies Record<string, WorkflowDeclaration<never>>;

export type WorkflowType = keyof typeof WORKFLOWS;

/** Which workflow handles each canonical event: derived from the triggers above. */
export const FLOWS = Object.fromEntries(
  Object.entries(WORKFLOWS).flatMap(([type, d]) => ('event' in d.trigger ? [[d.trigger.event, type]] : [])),
) as Record<CanonicalEvent['type'], WorkflowType>;

/** Docs of the activities on the orchestration queue, which only talk to Temporal. */
export const TEMPORAL_ACTIVITY_DOCS: { [K in keyof TemporalActivities]: ActivityDoc } = {
  readSyncState: {
    does: 'reads the sync watermark (starts the sync-state workflow if it does not run yet)',
    kind: 'read',
    profile: 'temporal',
    note: 'the state workflow is started with USE_EXISTING',
  },
  advanceSyncState: {
    does: 'advances the sync watermark (only after a run that finished)',
    kind: 'write',
    profile: 'temporal',
    note: 'the state refuses a watermark that moves backwards',
  },
  settleDeadLetters: {
    does: 'puts records a system rejected on the dead-letter list, takes delivered ones off',
    kind: 'write',
    profile: 'temporal',
    note: 'a repeat counts one more attempt on an entry already listed; it adds no second entry and no second alert',
  },
  claimSyncWriter: {
    does: "takes the sync's single-writer lease for a run or a dead-letter retry, or says who holds it",
    kind: 'write',
    profile: 'temporal',
    note: 'a holder whose execution is closed loses the lease; a run continued as new claims it again under its id',
  },
  releaseSyncWriter: {
    does: "gives the sync's writer lease back once a run or a retry finished (or failed)",
    kind: 'write',
    profile: 'temporal',
    note: 'a release by anyone but the holder changes nothing',
  },
  inspectSchedules: {
    does: 'describes the watched schedules and their recent runs',
    kind: 'read',
    profile: 'temporal',
  },
};
