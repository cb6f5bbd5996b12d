import { idempotencyKey } from '../activities';
import type { OrderPaid, PaymentSucceeded } from '../domain/events';

/** One thing a workflow changes outside Temporal, and what keeps a re-run from doing it twice. */
export interface SideEffect {
  activity: string;
  system: string;
  effect: string;
  /**
   * What keeps a re-run from repeating the effect: the downstream idempotency key computed from the workflow's input;
   * or, for a key the activity derives at call time from what it sends, a description of it; or null for nothing.
   */
  idempotencyKey: ((input: never) => string) | { derivedAtCallTime: string } | null;
  /** Said next to an unprotected effect. */
  note?: string;
}

/**
 * The side effects of each workflow type, declared by hand next to the activities that perform them. `redrive
 * --dry-run` reads this table; test/ops checks that every activity a recorded history schedules is declared here.
 * A new workflow type, or a new activity in one, needs its line here.
 */
export const SIDE_EFFECTS: Record<string, SideEffect[]> = {
  orderPaid: [
    {
      activity: 'createInvoice',
      system: 'accounting',
      effect: 'creates the order’s invoice',
      idempotencyKey: (e: OrderPaid) => idempotencyKey('invoice', e.order.id),
    },
    {
      activity: 'sendInvoiceEmail',
      system: 'email-platform',
      effect: 'emails the invoice to the customer',
      idempotencyKey: (e: OrderPaid) => idempotencyKey('invoice-email', e.order.id),
    },
    {
      activity: 'sendAlert',
      system: 'alerts',
      effect: 'posts a failure alert (only if the run fails again)',
      idempotencyKey: null,
      note: 'keyed per run on purpose: a re-run that fails again alerts again',
    },
  ],
  paymentSucceeded: [
    {
      activity: 'markInvoicePaid',
      system: 'accounting',
      effect: 'records the payment on the order’s invoice',
      idempotencyKey: (e: PaymentSucceeded) => idempotencyKey('invoice-payment', e.payment.id),
    },
    {
      activity: 'sendAlert',
      system: 'alerts',
      effect: 'posts a failure alert (only if the run fails again)',
      idempotencyKey: null,
      note: 'keyed per run on purpose: a re-run that fails again alerts again',
    },
  ],
  contactSync: [
    {
      activity: 'readSyncState',
      system: 'temporal',
      effect: 'reads the sync watermark (starts the sync-state workflow if it does not run yet)',
      idempotencyKey: null,
      note: 'a read; the state workflow is started with USE_EXISTING',
    },
    {
      activity: 'listEmailContactChanges',
      system: 'email-platform',
      effect: 'reads contact changes (no change)',
      idempotencyKey: null,
      note: 'a read',
    },
    {
      activity: 'listCrmContactChanges',
      system: 'crm',
      effect: 'reads contact changes (no change)',
      idempotencyKey: null,
      note: 'a read',
    },
    {
      activity: 'upsertEmailContacts',
      system: 'email-platform',
      effect: 'upserts changed contacts, 100 per call',
      idempotencyKey: { derivedAtCallTime: 'contact-upsert:<hash of the batch>' },
      note: 'a re-run re-reads from the watermark, so an unchanged batch carries the same key',
    },
    {
      activity: 'patchCrmContacts',
      system: 'crm',
      effect: 'PATCHes consent changes into the CRM',
      idempotencyKey: { derivedAtCallTime: 'contact-patch:<contact id>:<hash of the patch>' },
    },
    {
      activity: 'advanceSyncState',
      system: 'temporal',
      effect: 'advances the sync watermark (only after a run that finished)',
      idempotencyKey: null,
      note: 'the state refuses a watermark that moves backwards',
    },
    {
      activity: 'sendAlert',
      system: 'alerts',
      effect: 'posts a failure alert (only if the run fails again)',
      idempotencyKey: null,
      note: 'keyed per run on purpose: a re-run that fails again alerts again',
    },
  ],
  // Holds the watermark; schedules no activities and changes nothing outside Temporal.
  syncState: [],
  reconcileOrders: [
    {
      activity: 'listPaidOrders',
      system: 'shop',
      effect: 'reads the orders paid in the window (no change)',
      idempotencyKey: null,
      note: 'a read',
    },
    {
      activity: 'findUninvoicedOrders',
      system: 'accounting',
      effect: 'reads which of them have no invoice (no change)',
      idempotencyKey: null,
      note: 'a read',
    },
    {
      activity: 'orderPaid (child reconcile:<order id>)',
      system: 'accounting, email-platform',
      effect: 'runs the invoice flow for each paid order without an invoice',
      idempotencyKey: null,
      note: 'per order: the child’s id and its invoice’s Idempotency-Key are both derived from the order id',
    },
    {
      activity: 'sendAlert',
      system: 'alerts',
      effect: 'posts a failure alert (only if the run fails again)',
      idempotencyKey: null,
      note: 'keyed per run on purpose: a re-run that fails again alerts again',
    },
  ],
  scheduleWatchdog: [
    {
      activity: 'inspectSchedules',
      system: 'temporal',
      effect: 'describes the watched schedules and their recent runs (no change)',
      idempotencyKey: null,
      note: 'a read',
    },
    {
      activity: 'sendScheduleAlert',
      system: 'alerts',
      effect: 'posts one alert per new schedule problem',
      idempotencyKey: null,
      note: 'keyed per problem and run: a re-run alerts again on the problems it finds',
    },
  ],
};

export interface PlannedSideEffect {
  activity: string;
  system: string;
  effect: string;
  idempotencyKey: string | null;
  protected: boolean;
  note?: string;
}

/** The side effects a re-run of `workflowType` with `input` (its first argument) would perform, with their protection. */
export function sideEffectsOf(workflowType: string, input: unknown): PlannedSideEffect[] | undefined {
  const declared = SIDE_EFFECTS[workflowType];
  if (!declared) return undefined;
  return declared.map((s) => {
    let key: string | null = null;
    let note = s.note;
    if (s.idempotencyKey && typeof s.idempotencyKey === 'object') {
      key = s.idempotencyKey.derivedAtCallTime;
    } else if (s.idempotencyKey) {
      try {
        key = s.idempotencyKey(input as never);
      } catch {
        note = 'the workflow input does not have the expected shape: key unknown';
      }
    }
    return {
      activity: s.activity,
      system: s.system,
      effect: s.effect,
      idempotencyKey: key,
      protected: key !== null,
      note,
    };
  });
}
