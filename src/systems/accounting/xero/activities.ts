import { Context } from '@temporalio/activity';
import { AccountingApi, Invoices, type Invoice as XeroInvoice } from 'xero-node';
import type { ConnectorDeps } from '../../../kit/declare';
import { idempotencyKey } from '../../../kit/keys';
import {
  type AccountingActivities,
  type CreatedInvoice,
  type CreateInvoiceInput,
  assertInvoiceAsked,
  type MarkInvoicePaidInput,
  outstandingOn,
  paymentProblems,
  type PaymentRecorded,
} from '../activities';
import type { Invoice } from '../wire';
import {
  fromXeroInvoice,
  invoiceForOrder,
  LIVE_STATUSES,
  paymentForInvoice,
  unitdpFor,
  whereReferences,
  xeroIdempotencyKey,
} from './mapping';
import { XERO_LIMITS } from './limits';
import { throughClient, type XeroCall } from './transport';

// Accounting in Xero, through xero-node's AccountingApi: the order's invoice is an ACCREC invoice whose Reference is
// the order id, a payment one whose Reference is the payment id. Xero keeps an Idempotency-Key only for a while, so
// each write first looks for what an earlier attempt made, by Reference, and the key covers the rest of the window.

/** The connection's name, as the connection workflow knows it. */
export const CONNECTION = 'accounting';

/** References per `where` filter in findUninvoicedOrders, and invoices per page (Xero's maximum is 1000). */
const REFERENCES_PER_QUERY = 25;
const PAGE_SIZE = 100;

/** Calls a Xero organisation allows a day, and how few left is worth an alert (the sync's reserve). */
const DAY = XERO_LIMITS.windows.find((w) => w.name === 'day')!;

/** The Xero activities, from ACCOUNTING_XERO_* (by suffix) and the worker's connections. */
export function createXeroActivities(deps: ConnectorDeps): Partial<AccountingActivities> {
  const { client, settings, connections } = deps;
  if (!connections) {
    throw new Error('ACCOUNTING_CONNECTOR=xero needs OAuth connections (src/kit/connections), which this worker lacks');
  }
  const apiUrl = (settings.API_URL ?? 'https://api.xero.com').replace(/\/$/, '');
  const salesAccountCode = settings.SALES_ACCOUNT_CODE || '200';
  const paymentAccountCode = settings.PAYMENT_ACCOUNT_CODE || '090';
  const api = new AccountingApi(`${apiUrl}/api.xro/2.0`);

  /**
   * One SDK call as the connection: a current token for it, the tenant id with it, and on a 401 the connection told
   * (it refreshes once, whoever reports it) and the attempt failed retryably, so the retry gets the new token. On a
   * 403 the connection checks that it still reaches the tenant.
   */
  async function asConnection<T>(fn: (tenantId: string) => Promise<{ body: T }>): Promise<T> {
    const ctx = Context.current();
    const signal = ctx.cancellationSignal;
    const token = await connections!.token(CONNECTION, signal);
    const call: XeroCall = { client, apiUrl, accessToken: token.accessToken, signal, remaining: {} };
    try {
      return (await throughClient(call, () => fn(token.tenantId))).body;
    } catch (err) {
      if (call.unauthorized) await connections!.rejected(CONNECTION, token.accessToken);
      if (call.forbidden) {
        // A 403 for the tenant: if the organisation disconnected the app the connection breaks (one alert), and this
        // call is held with ConnectionBroken like every other; otherwise it is the refusal it says it is.
        await connections!.tenantRefused(CONNECTION, token.accessToken);
        await connections!.token(CONNECTION, signal);
      }
      throw err;
    } finally {
      if (Object.keys(call.remaining).length > 0) {
        // Xero's own count of what is left, per window: in the activity's log, and low values as warnings.
        const low = (call.remaining.minute ?? 60) < 10 || (call.remaining.day ?? DAY.limit) < DAY.reserve!;
        ctx.log[low ? 'warn' : 'debug']('Xero rate limits remaining', { ...call.remaining });
        // Xero's daily limit is 5,000 calls per organisation: a tenth left is an alert before it is a failure, and
        // the scheduled syncs stop there (the gate keeps the day's reserve for event flows).
        if (call.remaining.day !== undefined && call.remaining.day < DAY.reserve!) {
          await deps.onBudgetLow?.({
            system: 'accounting',
            tenant: token.tenantId,
            window: 'day',
            remaining: call.remaining.day,
            limit: DAY.limit,
          });
        }
      }
    }
  }

  /** The order's live invoices (not voided or deleted), by Reference. */
  async function invoicesOf(orderIds: readonly string[], page = 1): Promise<XeroInvoice[]> {
    const body = await asConnection<Invoices>((tenantId) =>
      api.getInvoices(
        tenantId,
        undefined,
        whereReferences(orderIds),
        undefined,
        undefined,
        undefined,
        undefined,
        [...LIVE_STATUSES],
        page,
        undefined,
        undefined,
        4,
        undefined,
        PAGE_SIZE,
      ),
    );
    return body.invoices ?? [];
  }

  const invoiceOf = async (orderId: string): Promise<Invoice | undefined> => {
    const found = (await invoicesOf([orderId])).find((i) => i.reference === orderId);
    return found && fromXeroInvoice(found);
  };

  const assertAsked = (invoice: Invoice, input: CreateInvoiceInput) =>
    assertInvoiceAsked(client.system, invoice, input, ' in Xero');

  return {
    /**
     * The order's invoice in Xero: the one it has (found by Reference, however long ago it was made) if it is the one
     * asked for, else InvoiceConflict; otherwise a new AUTHORISED ACCREC invoice under the order's key.
     */
    async createInvoice(input: CreateInvoiceInput): Promise<CreatedInvoice> {
      const existing = await invoiceOf(input.orderId);
      if (existing) {
        assertAsked(existing, input);
        return { ...existing, existedBefore: true };
      }
      const ctx = Context.current();
      const issuedAt = new Date(ctx.info.scheduledTimestampMs ?? Date.now());
      const invoices = new Invoices();
      invoices.invoices = [invoiceForOrder(input, salesAccountCode, issuedAt)];
      const key = xeroIdempotencyKey(idempotencyKey('invoice', input.orderId));
      const body = await asConnection<Invoices>((tenantId) =>
        api.createInvoices(tenantId, invoices, true, unitdpFor(input.currency), key),
      );
      const made = body.invoices?.[0];
      if (!made) throw new Error(`Xero answered the invoice of order ${input.orderId} with no invoice`);
      const invoice = fromXeroInvoice(made);
      // Xero answered from its idempotency store, for a body that differs in what we compare: not ours to adopt.
      assertAsked(invoice, input);
      return { ...invoice, existedBefore: false };
    },

    /**
     * Records the payment on the order's invoice when it is in the invoice's currency and no more than is
     * outstanding; otherwise records nothing and says why. A payment whose Reference is already on the invoice was
     * recorded by an earlier attempt and is not sent again.
     */
    async markInvoicePaid(input: MarkInvoicePaidInput): Promise<PaymentRecorded> {
      const invoice = await invoiceOf(input.orderId);
      if (!invoice) throw new Error(`no invoice for order ${input.orderId} in Xero yet`);
      const check = (inv: Invoice): PaymentRecorded => {
        const outstanding = outstandingOn(inv);
        return { ...inv, check: { outcome: outstanding > 0 ? 'partial' : 'paid', outstanding, problems: [] } };
      };
      if (invoice.payments.some((p) => p.payment_id === input.paymentId)) return check(invoice);
      const problems = paymentProblems(invoice, input);
      if (problems.length > 0) {
        return { ...invoice, check: { outcome: 'needs-review', outstanding: outstandingOn(invoice), problems } };
      }
      const ctx = Context.current();
      const paidAt = new Date(ctx.info.scheduledTimestampMs ?? Date.now());
      const payment = paymentForInvoice(input, invoice.id, paymentAccountCode, paidAt);
      const key = xeroIdempotencyKey(idempotencyKey('invoice-payment', input.paymentId));
      await asConnection((tenantId) => api.createPayment(tenantId, payment, key));
      const after = await invoiceOf(input.orderId);
      if (!after) throw new Error(`the invoice of order ${input.orderId} is gone from Xero after its payment`);
      return check(after);
    },

    /** The ids among `orderIds` that Xero has no live invoice for, asked a few references and a page at a time. */
    async findUninvoicedOrders(input: { orderIds: string[] }): Promise<string[]> {
      const ctx = Context.current();
      const invoiced = new Set<string>();
      for (let i = 0; i < input.orderIds.length; i += REFERENCES_PER_QUERY) {
        const batch = input.orderIds.slice(i, i + REFERENCES_PER_QUERY);
        for (let page = 1; ; page++) {
          const found = await invoicesOf(batch, page);
          for (const inv of found) if (inv.reference) invoiced.add(inv.reference);
          ctx.heartbeat({ index: i, page });
          if (found.length < PAGE_SIZE) break;
        }
      }
      return input.orderIds.filter((id) => !invoiced.has(id));
    },
  };
}
