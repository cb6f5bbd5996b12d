import type { Router } from 'express';
import { z } from 'zod';
import type { Invoice } from './wire';
import { idempotent, nextId, paginate, type StandIn, type SystemState, systemRouter } from '../../kit/stand-in';

/** An invoice as the stand-in keeps it: the wire shape, and when it was created. */
export interface SandboxInvoice extends Invoice {
  created_at: string;
}

const createInvoice = z.object({
  order_id: z.string().min(1),
  total: z.number().nonnegative(),
  currency: z.string().length(3),
  customer_email: z.email(),
});
const recordPayment = z.object({ payment_id: z.string().min(1), amount: z.number().positive(), currency: z.string() });

/** Money in ten-thousandths, so sums of decimal amounts compare exactly (every ISO 4217 currency has ≤ 4 decimals). */
const units = (amount: number) => Math.round(amount * 10_000);

/**
 * Accounting stand-in: one invoice per order (a second under another key is a 409 carrying the existing invoice),
 * payments against invoices. Like real ledgers, it refuses a payment in another currency than the invoice's or for
 * more than is outstanding (422), and an invoice with payments that do not cover it yet is `partially_paid`.
 */
export function accountingRouter(state: SystemState, invoices: SandboxInvoice[]): Router {
  const router = systemRouter(state);

  router.post(
    '/invoices',
    idempotent(state, (req) => {
      const parsed = createInvoice.safeParse(req.body);
      if (!parsed.success) return { status: 400, body: { error: 'invalid', message: parsed.error.issues[0]?.message } };
      const existing = invoices.find((i) => i.order_id === parsed.data.order_id);
      if (existing) {
        // As ledgers answer a duplicate: the conflicting record itself, so the caller can tell whether it is the one
        // it meant to create.
        return {
          status: 409,
          body: {
            error: 'conflict',
            message: `order ${existing.order_id} is invoiced as ${existing.id}`,
            invoice: existing,
          },
        };
      }
      const invoice: SandboxInvoice = {
        id: nextId('inv'),
        ...parsed.data,
        status: 'open',
        payments: [],
        created_at: new Date().toISOString(),
      };
      invoices.push(invoice);
      return { status: 201, body: invoice };
    }),
  );

  router.get('/invoices', (req, res) => {
    const orderId = typeof req.query.order_id === 'string' ? req.query.order_id : undefined;
    const matching = orderId ? invoices.filter((i) => i.order_id === orderId) : invoices;
    res.json(paginate(matching, req.query.cursor, req.query.limit));
  });

  router.get('/invoices/:id', (req, res) => {
    const invoice = invoices.find((i) => i.id === req.params.id);
    if (!invoice) res.status(404).json({ error: 'not_found', message: `no invoice ${req.params.id}` });
    else res.json(invoice);
  });

  router.post(
    '/invoices/:id/payments',
    idempotent(state, (req) => {
      const invoice = invoices.find((i) => i.id === req.params.id);
      if (!invoice) return { status: 404, body: { error: 'not_found', message: `no invoice ${req.params.id}` } };
      const parsed = recordPayment.safeParse(req.body);
      if (!parsed.success) return { status: 400, body: { error: 'invalid', message: parsed.error.issues[0]?.message } };
      const payment = parsed.data;
      if (!invoice.payments.some((p) => p.payment_id === payment.payment_id)) {
        if (payment.currency !== invoice.currency) {
          const message = `invoice ${invoice.id} is in ${invoice.currency}; a payment in ${payment.currency} cannot be applied`;
          return { status: 422, body: { error: 'currency_mismatch', message } };
        }
        const outstanding = units(invoice.total) - invoice.payments.reduce((sum, p) => sum + units(p.amount), 0);
        if (units(payment.amount) > outstanding) {
          const message = `payment of ${payment.amount} exceeds the ${outstanding / 10_000} outstanding on ${invoice.id}`;
          return { status: 422, body: { error: 'overpayment', message } };
        }
        invoice.payments.push(payment);
      }
      const paid = invoice.payments.reduce((sum, p) => sum + units(p.amount), 0);
      invoice.status = paid >= units(invoice.total) ? 'paid' : paid > 0 ? 'partially_paid' : 'open';
      return { status: 200, body: invoice };
    }),
  );

  return router;
}

/** The accounting stand-in, as the system declaration mounts it. */
export function standIn(state: SystemState): StandIn<{ invoices: SandboxInvoice[] }> {
  const invoices: SandboxInvoice[] = [];
  return { router: accountingRouter(state, invoices), data: { invoices }, reset: () => void (invoices.length = 0) };
}
