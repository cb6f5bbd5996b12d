import { Context } from '@temporalio/activity';
import nodemailer from 'nodemailer';
import { defineConnector, type ConnectorDeps, urlCheck } from '../../../kit/declare';
import type { EmailMessage, EmailPlatformActivities, SendInvoiceEmailInput } from '../activities';
import { renderInvoicePdf } from './invoice-pdf';
import { invoiceMessage, senderName, type SenderSettings } from './message';
import { mailpitLog, type MessageLog } from './message-log';
import { smtpFailure } from './replies';

// The invoice email over SMTP, to any relay: Mailpit in development, a provider's SMTP endpoint in production. The
// contact sync stays on the email platform's API; only the invoice email changes road. docs/email.md says what each
// kind of relay guarantees about duplicates.

/** Seconds to wait for the relay: to connect, to greet, and for each reply. Within the `call` profile's 30 s. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 20_000;
const LOG_TIMEOUT_MS = 10_000;

/** The relay as errors and logs may name it: host and port, never the credentials in its URL. */
export function relayLabel(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'smtps:' ? '465' : '587')}`;
}

/** The connector's activities, from its settings (EMAIL_PLATFORM_SMTP_*). */
export function createSmtpActivities({ settings }: ConnectorDeps): Partial<EmailPlatformActivities> {
  const url = settings.URL!;
  const sender: SenderSettings = {
    from: settings.FROM!,
    replyTo: settings.REPLY_TO || undefined,
    unsubscribeUrl: settings.UNSUBSCRIBE_URL || undefined,
  };
  const log: MessageLog | undefined =
    settings.MESSAGE_LOG === 'mailpit' ? mailpitLog(settings.MESSAGE_LOG_URL!, LOG_TIMEOUT_MS) : undefined;
  const relay = relayLabel(url);
  // One connection per message (no pool): an attempt's failure is its own, and nothing lingers between activities.
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // The message is built here: no file or URL of it is ever read on the relay's behalf.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    async sendInvoiceEmail(input: SendInvoiceEmailInput): Promise<EmailMessage> {
      const ctx = Context.current();
      const pdf = await renderInvoicePdf({
        orderId: input.orderId,
        invoiceId: input.invoiceId,
        total: input.total,
        currency: input.currency,
        seller: senderName(sender.from),
        issuedAt: new Date(ctx.info.scheduledTimestampMs ?? Date.now()),
      });
      const message = invoiceMessage(input, sender, pdf);
      const sent = { id: message.messageId, to: input.to, subject: String(message.subject) };
      // An earlier attempt may have been delivered although its connection dropped before the relay's answer.
      const earlier = await log?.find(message.messageId, ctx.cancellationSignal);
      if (earlier) {
        ctx.log.info('invoice email already accepted by the relay; not sending another', {
          orderId: input.orderId,
          messageId: message.messageId,
        });
        return sent;
      }
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      const cancel = () => transport.close();
      ctx.cancellationSignal.addEventListener('abort', cancel, { once: true });
      try {
        const info = await transport.sendMail(message);
        ctx.log.info('invoice email accepted by the relay', {
          orderId: input.orderId,
          messageId: message.messageId,
          accepted: info.accepted.length,
        });
        return sent;
      } catch (err) {
        throw smtpFailure(err as Error, relay);
      } finally {
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', cancel);
      }
    },
  };
}

export const smtpConnector = defineConnector<EmailPlatformActivities>({
  name: 'smtp',
  title: 'the invoice email over SMTP, through EMAIL_PLATFORM_SMTP_URL (contacts stay on the API)',
  variables: [
    {
      suffix: 'URL',
      description:
        'the SMTP relay: smtp://user:password@host:587 (STARTTLS when offered) or smtps://…:465; a secret, never logged',
      secret: true,
      check: urlCheck(['smtp:', 'smtps:'], 'must be an smtp:// or smtps:// URL'),
    },
    {
      suffix: 'FROM',
      description: 'the From of the invoice email, `Shop name <billing@example.com>`; its domain ends the Message-ID',
      check: (v) => (/@[A-Za-z0-9.-]+\.[A-Za-z]{2,}>?\s*$/.test(v) ? [] : ['must be an address, `Name <a@b.example>`']),
    },
    { suffix: 'REPLY_TO', description: 'where replies go, when not to the From', default: '' },
    {
      suffix: 'UNSUBSCRIBE_URL',
      description: 'the List-Unsubscribe target (an https: or mailto: URL); https also announces one-click (RFC 8058)',
      default: '',
      check: urlCheck(['https:', 'mailto:'], 'must be an https: or mailto: URL', { optional: true }),
    },
    {
      suffix: 'MESSAGE_LOG',
      description:
        'where to look before sending, so a retry after a dropped connection sends nothing twice: `mailpit` (its API ' +
        'at EMAIL_PLATFORM_SMTP_MESSAGE_LOG_URL) or `none` (docs/email.md: the window that leaves)',
      default: 'none',
      check: (v) => (['mailpit', 'none'].includes(v) ? [] : ['must be mailpit or none']),
    },
    {
      suffix: 'MESSAGE_LOG_URL',
      description: 'the message log’s base URL (Mailpit’s web UI), with EMAIL_PLATFORM_SMTP_MESSAGE_LOG=mailpit',
      default: '',
      check: urlCheck(['http:', 'https:'], 'must be an http(s) URL', { optional: true }),
    },
  ],
  checkSettings: (s) =>
    s.MESSAGE_LOG === 'mailpit' && !s.MESSAGE_LOG_URL
      ? ['EMAIL_PLATFORM_SMTP_MESSAGE_LOG=mailpit needs EMAIL_PLATFORM_SMTP_MESSAGE_LOG_URL']
      : [],
  activities: createSmtpActivities,
  activityNotes: {
    sendInvoiceEmail:
      'sends MIME (text, HTML, the invoice as a PDF) with a Message-ID derived from the order, invoice and recipient; ' +
      'with a message log it looks there first, so an attempt after a dropped connection sends nothing twice',
  },
});
