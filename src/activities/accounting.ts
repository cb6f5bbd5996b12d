import { Context } from '@temporalio/activity';
import type { SystemActivityDeps } from './deps';
import { idempotencyKey } from './keys';

// Accounting: the source of truth for invoices. We create one per paid order and record payments against it.

export interface Invoice {
  id: string;
  order_id: string;
  total: number;
  currency: string;
  customer_email: string;
  status: 'open' | 'paid';
}

/** The invoice, and whether it existed before this call (an earlier run, a replayed answer, or made by hand). */
export interface CreatedInvoice extends Invoice {
  existedBefore?: boolean;
}

export interface CreateInvoiceInput {
  orderId: string;
  total: number;
  currency: string;
  customerEmail: string;
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export function createAccountingActivities({ client }: SystemActivityDeps) {
  async function invoiceOf(orderId: string): Promise<Invoice | undefined> {
    const res = await client.request<Page<Invoice>>('GET', '/invoices', { query: { order_id: orderId } });
    return res.body.data[0];
  }

  return {
    async createInvoice(input: CreateInvoiceInput): Promise<CreatedInvoice> {
      const res = await client.request<Invoice>('POST', '/invoices', {
        idempotencyKey: idempotencyKey('invoice', input.orderId),
        accept: [409],
        // A re-run that now sends another body (e.g. the normalised email of a run reset across that patch): the
        // key already made the order's invoice, so that invoice is the answer.
        onKeyReused: () => invoiceOf(input.orderId),
        signal: Context.current().cancellationSignal,
        body: {
          order_id: input.orderId,
          total: input.total,
          currency: input.currency,
          customer_email: input.customerEmail,
        },
      });
      if (res.status !== 409) return { ...res.body, existedBefore: res.replayed };
      // The invoice exists (created under another key, e.g. by hand): fetch it and succeed.
      const invoice = await invoiceOf(input.orderId);
      if (!invoice) throw new Error(`accounting answered 409 for order ${input.orderId} but lists no invoice for it`);
      return { ...invoice, existedBefore: true };
    },

    async markInvoicePaid(input: { orderId: string; paymentId: string; amount: number; currency: string }) {
      const invoice = await invoiceOf(input.orderId);
      if (!invoice) {
        // The order's invoice may not exist yet (payment reported before order.paid was processed): retry later.
        throw new Error(`no invoice for order ${input.orderId} yet`);
      }
      const res = await client.request<Invoice>('POST', `/invoices/${encodeURIComponent(invoice.id)}/payments`, {
        idempotencyKey: idempotencyKey('invoice-payment', input.paymentId),
        body: { payment_id: input.paymentId, amount: input.amount, currency: input.currency },
      });
      return res.body;
    },

    /** The ids among `orderIds` that accounting has no invoice for. */
    async findUninvoicedOrders(input: { orderIds: string[] }): Promise<string[]> {
      const ctx = Context.current();
      const missing: string[] = [];
      for (const [i, orderId] of input.orderIds.entries()) {
        const res = await client.request<Page<unknown>>('GET', '/invoices', {
          query: { order_id: orderId },
          signal: ctx.cancellationSignal,
        });
        if (res.body.data.length === 0) missing.push(orderId);
        ctx.heartbeat(i);
      }
      return missing;
    },
  };
}

export type AccountingActivities = ReturnType<typeof createAccountingActivities>;
