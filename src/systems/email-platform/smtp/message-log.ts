import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../../contracts/failures';
import { safeText } from '../../../redaction';

// Where the relay keeps a log of what it accepted, the connector asks it before sending: an attempt whose connection
// dropped after DATA may have been delivered, and SMTP itself cannot say. Mailpit's API is one such log (a provider's
// activity API is another, added the same way); with none, a retry after such a drop may send the message twice
// (docs/email.md bounds the window).

export interface SentRecord {
  /** The log's own id of the message. */
  id: string;
  messageId: string;
}

export interface MessageLog {
  /** The message the relay accepted with this Message-ID, or undefined when it has none. */
  find(messageId: string, signal?: AbortSignal): Promise<SentRecord | undefined>;
}

const bare = (messageId: string) => messageId.trim().replace(/^<|>$/g, '');

interface MailpitSearch {
  messages?: Array<{ ID?: unknown; MessageID?: unknown }>;
}

/** Mailpit's search API at `baseUrl` (its web UI's URL): exact Message-ID matches only. */
export function mailpitLog(baseUrl: string, timeoutMs: number): MessageLog {
  const root = baseUrl.replace(/\/$/, '');
  const where = `the message log at ${new URL(root).host}`;
  return {
    async find(messageId, signal) {
      const wanted = bare(messageId);
      const url = `${root}/api/v1/search?query=${encodeURIComponent(`message-id:"${wanted}"`)}&limit=50`;
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      } catch (err) {
        throw ApplicationFailure.retryable(
          `${where} could not be read, so the email is not sent yet: ${safeText((err as Error).message, 200)}`,
          (err as Error).name === 'TimeoutError' ? FailureType.timeout : FailureType.network,
        );
      }
      if (!res.ok) {
        const type = res.status === 429 ? FailureType.throttled : FailureType.unavailable;
        throw ApplicationFailure.retryable(
          `${where} answered ${res.status}, so the email is not sent yet: ${safeText(await res.text(), 200)}`,
          type,
        );
      }
      let body: MailpitSearch;
      try {
        body = (await res.json()) as MailpitSearch;
      } catch {
        throw ApplicationFailure.retryable(`${where} answered with invalid JSON`, FailureType.protocol);
      }
      if (!Array.isArray(body.messages)) {
        throw ApplicationFailure.retryable(`${where} answered without a message list`, FailureType.protocol);
      }
      // Its search matches parts of the id too: only the same id is this message.
      const same = body.messages.find((m) => typeof m.MessageID === 'string' && bare(m.MessageID) === wanted);
      return same ? { id: String(same.ID), messageId: `<${wanted}>` } : undefined;
    },
  };
}
