import { createHash } from 'node:crypto';
import { Contact, CurrencyCode, Invoice as XeroInvoice, LineAmountTypes, LineItem, Payment } from 'xero-node';
import { fromMinorUnits, minorUnitDecimals, toMinorUnits } from '../../../domain/money';
import type { CreateInvoiceInput, MarkInvoicePaidInput } from '../activities';
import type { Invoice, InvoicePayment } from '../wire';

// Our invoices and payments as xero-node's models, and back. Pure: what goes to Xero is decided here, what is sent
// is the SDK's own serialisation of these models.

/** Xero keeps an Idempotency-Key for a while and accepts at most 128 characters. */
export const XERO_MAX_KEY_LENGTH = 128;

/**
 * Our idempotency key as Xero accepts it: as it is when it fits, else its first characters, `~` and the base64url
 * SHA-256 of the whole key (so two keys with a common prefix never meet).
 */
export function xeroIdempotencyKey(key: string): string {
  if (key.length <= XERO_MAX_KEY_LENGTH) return key;
  const hash = createHash('sha256').update(key).digest('base64url');
  return `${key.slice(0, XERO_MAX_KEY_LENGTH - hash.length - 1)}~${hash}`;
}

/** A string literal in Xero's `where` filter language (C#-like): backslashes and double quotes escaped. */
export function whereString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The filter that finds the invoices of these orders: our order id is the invoice's Reference. */
export function whereReferences(orderIds: readonly string[]): string {
  return orderIds.map((id) => `Reference==${whereString(id)}`).join(' OR ');
}

/** Invoices that count as the order's invoice: a voided or deleted one does not. */
export const LIVE_STATUSES: readonly string[] = [
  XeroInvoice.StatusEnum.DRAFT,
  XeroInvoice.StatusEnum.SUBMITTED,
  XeroInvoice.StatusEnum.AUTHORISED,
  XeroInvoice.StatusEnum.PAID,
].map(String);

/** `amount` rounded to the currency's minor unit (JPY: whole yen), as Xero is sent it. */
export function xeroAmount(amount: number, currency: string): number {
  return fromMinorUnits(toMinorUnits(amount, currency), currency);
}

/** Xero's `unitdp`: unit amounts with 4 decimals for a currency whose minor unit has more than 2, else its default. */
export function unitdpFor(currency: string): number | undefined {
  return minorUnitDecimals(currency) > 2 ? 4 : undefined;
}

/** Xero's currency code for ours, or a RangeError: a currency Xero does not have is refused before any call. */
export function xeroCurrency(currency: string): CurrencyCode {
  const code = currency.toUpperCase();
  const known = (CurrencyCode as unknown as Record<string, CurrencyCode | undefined>)[code];
  if (known === undefined || code === 'EMPTYCURRENCY') throw new RangeError(`Xero has no currency ${currency}`);
  return known;
}

const isoDate = (at: Date) => at.toISOString().slice(0, 10);

/**
 * The order's invoice as an ACCREC (sales) invoice: AUTHORISED (approved, awaiting payment), the order id as its
 * Reference, one line of the order total on `salesAccountCode`, no tax on top (the total is what the customer paid),
 * and the customer as its contact, by email address.
 */
export function invoiceForOrder(input: CreateInvoiceInput, salesAccountCode: string, issuedAt: Date): XeroInvoice {
  const amount = xeroAmount(input.total, input.currency);
  const contact = new Contact();
  contact.name = input.customerEmail.trim();
  contact.emailAddress = input.customerEmail.trim();
  const line = new LineItem();
  line.description = `Order ${input.orderId}`;
  line.quantity = 1;
  line.unitAmount = amount;
  line.accountCode = salesAccountCode;
  const invoice = new XeroInvoice();
  invoice.type = XeroInvoice.TypeEnum.ACCREC;
  invoice.status = XeroInvoice.StatusEnum.AUTHORISED;
  invoice.reference = input.orderId;
  invoice.currencyCode = xeroCurrency(input.currency);
  invoice.lineAmountTypes = LineAmountTypes.NoTax;
  invoice.date = isoDate(issuedAt);
  invoice.dueDate = isoDate(issuedAt);
  invoice.contact = contact;
  invoice.lineItems = [line];
  return invoice;
}

/** The payment of `input` against Xero's invoice `invoiceID`, into the bank account `accountCode`. */
export function paymentForInvoice(
  input: MarkInvoicePaidInput,
  invoiceID: string,
  accountCode: string,
  paidAt: Date,
): Payment {
  const payment = new Payment();
  payment.invoice = Object.assign(new XeroInvoice(), { invoiceID });
  payment.account = { code: accountCode };
  payment.amount = xeroAmount(input.amount, input.currency);
  payment.date = isoDate(paidAt);
  // Our payment id is the payment's Reference: how a later attempt sees that this one got through.
  payment.reference = input.paymentId;
  return payment;
}

/** Xero's invoice as ours: its Reference is our order id, each payment's Reference our payment id. */
export function fromXeroInvoice(x: XeroInvoice): Invoice {
  const currency = String(x.currencyCode ?? '');
  const total = x.total ?? 0;
  const payments: InvoicePayment[] = (x.payments ?? []).map((p) => ({
    payment_id: p.reference ?? p.paymentID ?? '',
    amount: p.amount ?? 0,
    currency,
  }));
  const paid = x.amountPaid ?? payments.reduce((sum, p) => sum + p.amount, 0);
  const status: Invoice['status'] =
    String(x.status) === String(XeroInvoice.StatusEnum.PAID) || (total > 0 && paid >= total)
      ? 'paid'
      : paid > 0
        ? 'partially_paid'
        : 'open';
  return {
    id: x.invoiceID ?? '',
    order_id: x.reference ?? '',
    total,
    currency,
    // A list of invoices may carry the contact summarised (ContactID and Name): its Name is the address we gave it.
    customer_email: x.contact?.emailAddress || x.contact?.name || '',
    status,
    payments,
  };
}
