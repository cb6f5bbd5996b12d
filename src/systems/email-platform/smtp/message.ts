import { createHash } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import type { SendInvoiceEmailInput } from '../activities';
import { escapeHtml } from '../../../html';
import { formatAmount } from './invoice-pdf';

// The invoice email as MIME: a text part, an HTML part, the invoice as a PDF, and the headers a transactional
// message carries (RFC 3834 Auto-Submitted; RFC 2369/8058 List-Unsubscribe). Its Message-ID is derived from what the
// message is (the order, the invoice and the recipient), so every attempt to send it carries the same one and the
// relay's message log can say whether an earlier attempt got through.

export interface SenderSettings {
  /** The From address, `Name <address>` or a bare address. */
  from: string;
  replyTo?: string;
  /** An https: or mailto: URL; with https, one-click unsubscribe (RFC 8058) is announced too. */
  unsubscribeUrl?: string;
}

const address = (email: string) => email.trim().toLowerCase();

/** The domain of the From address: the Message-ID's right-hand side, as RFC 5322 §3.6.4 suggests. */
export function senderDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m ? m[1]!.toLowerCase() : 'switchyard.invalid';
}

/** The name the customer knows the seller by: the From's display name, or its domain. */
export function senderName(from: string): string {
  const m = /^\s*"?([^"<]+?)"?\s*</.exec(from);
  return m ? m[1]!.trim() : senderDomain(from);
}

/** The Message-ID of the invoice email for this order, invoice and recipient: the same on every attempt. */
export function invoiceMessageId(input: Pick<SendInvoiceEmailInput, 'orderId' | 'invoiceId' | 'to'>, from: string) {
  const digest = createHash('sha256')
    .update(JSON.stringify(['invoice-email', input.orderId, input.invoiceId, address(input.to)]))
    .digest('hex')
    .slice(0, 40);
  return `<invoice-email.${digest}@${senderDomain(from)}>`;
}

/** The nodemailer message for the invoice email, with the PDF attached. */
export function invoiceMessage(
  input: SendInvoiceEmailInput,
  sender: SenderSettings,
  pdf: Buffer,
): SendMailOptions & { messageId: string } {
  const amount = formatAmount(input.total, input.currency);
  const seller = senderName(sender.from);
  const subject = `Your invoice for order ${input.orderId}`;
  const text =
    `Thank you for your order ${input.orderId}.\n\n` +
    `Invoice ${input.invoiceId} for ${amount} is attached as a PDF.\n\n${seller}\n`;
  const html =
    `<p>Thank you for your order <strong>${escapeHtml(input.orderId)}</strong>.</p>` +
    `<p>Invoice <strong>${escapeHtml(input.invoiceId)}</strong> for <strong>${escapeHtml(amount)}</strong> is ` +
    `attached as a PDF.</p><p>${escapeHtml(seller)}</p>`;
  const headers: Record<string, string> = {
    // A message sent by a program, not a person: auto-responders do not answer it (RFC 3834).
    'Auto-Submitted': 'auto-generated',
    'X-Switchyard-Order-Id': encodeURIComponent(input.orderId),
    'X-Switchyard-Invoice-Id': encodeURIComponent(input.invoiceId),
  };
  if (sender.unsubscribeUrl) {
    headers['List-Unsubscribe'] = `<${sender.unsubscribeUrl}>`;
    if (sender.unsubscribeUrl.startsWith('https:')) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return {
    from: sender.from,
    to: input.to,
    ...(sender.replyTo ? { replyTo: sender.replyTo } : {}),
    subject,
    text,
    html,
    messageId: invoiceMessageId(input, sender.from),
    headers,
    attachments: [
      {
        filename: `invoice-${input.invoiceId.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`,
        content: pdf,
        contentType: 'application/pdf',
      },
    ],
  };
}
