import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type FailureTypeName } from '../../../contracts/failures';
import { safeText } from '../../../redaction';

// How an SMTP failure becomes one of the client layer's failure types, after RFC 5321 §4.2.1: a 5yz reply is a
// permanent negative completion (sending the same message again cannot succeed), a 4yz reply a transient one (the
// relay asks to be tried later), and a connection that fails or drops tells nothing about the message, so it is
// tried again. Greylisting (RFC 6647) answers 450 or 451 and accepts the same message some minutes later: the retry
// waits the delay the reply names, or GREYLIST_DELAY_MS.

/** How long to wait after a greylisting reply that names no delay: the common greylisting servers' default. */
export const GREYLIST_DELAY_MS = 60_000;
/** The longest delay a reply may ask for; one naming more is held to this. */
const MAX_REPLY_DELAY_MS = 60 * 60_000;

/** The shape of what nodemailer throws: its error code, and the relay's reply where there was one. */
interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

export interface SmtpReplyClass {
  reply: string;
  type: FailureTypeName;
  retryDelayMs?: number;
}

/** The delay a transient reply names ("try again in 300 seconds", "retry after 5 minutes"), in ms. */
function namedDelayMs(text: string): number | undefined {
  const m = /(\d{1,6})\s*(s|sec|secs|seconds?|m|min|mins|minutes?)\b/i.exec(text);
  if (!m) return undefined;
  const unit = /^m/i.test(m[2]!) ? 60_000 : 1000;
  return Math.min(Math.max(Number(m[1]) * unit, 1000), MAX_REPLY_DELAY_MS);
}

/** The class of one failed send: what to tell the operator and whether (and when) to try again. */
export function classifySmtpError(err: SmtpError): SmtpReplyClass {
  const code = err.responseCode;
  const reply = err.response ?? err.message;
  if (typeof code === 'number' && code >= 500 && code < 600) return { reply, type: FailureType.rejected };
  if (typeof code === 'number' && code >= 400 && code < 500) {
    const greylisted = code === 450 || code === 451;
    const delay = namedDelayMs(reply) ?? (greylisted ? GREYLIST_DELAY_MS : undefined);
    return { reply, type: delay !== undefined ? FailureType.throttled : FailureType.unavailable, retryDelayMs: delay };
  }
  // No reply: the credentials are missing (a configuration error no retry mends), or the connection failed.
  if (err.code === 'ENOAUTH' || err.code === 'ECONFIG') return { reply, type: FailureType.rejected };
  if (err.code === 'ETIMEDOUT') return { reply, type: FailureType.timeout };
  if (err.code === 'EPROTOCOL') return { reply, type: FailureType.protocol };
  return { reply, type: FailureType.network };
}

/** The failure to throw for a failed send: the relay's own words, bounded, with a hint a person can act on. */
export function smtpFailure(err: SmtpError, relay: string): ApplicationFailure {
  const c = classifySmtpError(err);
  const what = err.responseCode ? `answered ${safeText(c.reply, 300)}` : `failed: ${safeText(c.reply, 300)}`;
  const hint =
    err.code === 'EAUTH' || err.code === 'ENOAUTH'
      ? ' (check the user and password in EMAIL_PLATFORM_SMTP_URL)'
      : c.type === FailureType.rejected
        ? ' (the relay refuses this message: sending it again cannot succeed)'
        : '';
  const message = `SMTP relay ${relay}${err.command ? ` at ${err.command.split(' ')[0]}` : ''} ${what}${hint}`;
  const details = [{ responseCode: err.responseCode ?? null, code: err.code ?? null }];
  if (c.type === FailureType.rejected) return ApplicationFailure.nonRetryable(message, c.type, ...details);
  if (c.retryDelayMs !== undefined) {
    return ApplicationFailure.create({ message, type: c.type, nextRetryDelay: c.retryDelayMs, details });
  }
  return ApplicationFailure.retryable(message, c.type, ...details);
}
