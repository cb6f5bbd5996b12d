import { idempotencyKey } from '../activities';
import type { OrderPaid, PaymentSucceeded } from '../domain/events';

/** One thing a workflow changes outside Temporal, and what keeps a re-run from doing it twice. */
export interface SideEffect {
  activity: string;
  system: string;
  effect: string;
  /** The downstream idempotency key, from the workflow's input; null when nothing protects a re-run. */
  idempotencyKey: ((input: never) => string) | null;
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
    if (s.idempotencyKey) {
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
