import { ApplicationFailure } from '@temporalio/common';
import { mailpitPath } from '../../../src/dev/provision-tools.js';
import { type Mailpit, startMailpit } from '../../../src/dev/mailpit';
import { FailureType } from '../../../src/contracts/failures';
import { createSmtpActivities, smtpConnector } from '../../../src/systems/email-platform/smtp/connector';
import type { EmailMessage, SendInvoiceEmailInput } from '../../../src/systems/email-platform/activities';
import type { DownstreamClient } from '../../../src/kit/http';
import { activityEnvironment } from '../../helpers/activity-environment';
import { SmtpCutProxy } from '../../helpers/smtp-cut-proxy';

// The SMTP connector against Mailpit, a real SMTP server with a message API: what it sends is read back as a mail
// client would see it, and Mailpit's chaos triggers make it answer as refusing relays do.

interface Summary {
  ID: string;
  MessageID: string;
  Subject: string;
  To: Array<{ Address: string }>;
}
interface Message extends Summary {
  Text: string;
  HTML: string;
  Attachments: Array<{ FileName: string; ContentType: string; PartID: string }>;
}

let mailpit: Mailpit;
const FROM = 'Example Shop <billing@shop.example>';

beforeAll(async () => {
  mailpit = await startMailpit({ binPath: mailpitPath(), chaos: true });
});
afterAll(async () => {
  await mailpit?.stop();
});
afterEach(async () => {
  await mailpit.setChaos({});
});

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${mailpit.url}/api/v1${path}`);
  if (!res.ok) throw new Error(`mailpit ${path}: ${res.status}`);
  return (await res.json()) as T;
}
const messagesTo = async (to: string) =>
  (await api<{ messages: Summary[] }>(`/search?query=${encodeURIComponent(`to:"${to}"`)}`)).messages;

function connector(settings: Record<string, string>): Send {
  return createSmtpActivities({
    settings: { FROM, MESSAGE_LOG: 'mailpit', MESSAGE_LOG_URL: mailpit.url, ...settings },
    client: undefined as unknown as DownstreamClient,
    temporalUiUrl: 'http://localhost:8233',
    namespace: 'default',
  }).sendInvoiceEmail!;
}
type Send = (input: SendInvoiceEmailInput) => Promise<EmailMessage>;

/** One attempt of `send`, as the worker runs it. */
const run = (send: Send, input: SendInvoiceEmailInput, attempt = 1) =>
  activityEnvironment({ attempt }).run(send, input) as Promise<EmailMessage>;
const smtpUrl = () => `smtp://${mailpit.smtp.host}:${mailpit.smtp.port}`;

let n = 0;
function order(overrides: Partial<SendInvoiceEmailInput> = {}): SendInvoiceEmailInput {
  n += 1;
  return {
    orderId: `ORD-${process.pid}-${n}`,
    invoiceId: `INV-${n}`,
    to: `customer-${process.pid}-${n}@example.test`,
    total: 120.5,
    currency: 'PLN',
    ...overrides,
  };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

test('the invoice email is MIME a mail client shows: text, HTML, the PDF, and a transactional message’s headers', async () => {
  const send = connector({ URL: smtpUrl(), UNSUBSCRIBE_URL: 'https://shop.example/unsubscribe?c=1' });
  const input = order({ total: 1200, currency: 'JPY' });
  const sent = await run(send, input);

  const [summary, ...more] = await messagesTo(input.to);
  expect(more).toHaveLength(0);
  expect(`<${summary!.MessageID}>`).toBe(sent.id);
  expect(sent.id).toMatch(/^<invoice-email\.[0-9a-f]{40}@shop\.example>$/);
  const message = await api<Message>(`/message/${summary!.ID}`);
  expect(message.Subject).toBe(`Your invoice for order ${input.orderId}`);
  expect(message.Text).toContain(`Invoice ${input.invoiceId} for 1200 JPY`);
  expect(message.HTML).toContain(`<strong>${input.invoiceId}</strong>`);
  expect(message.Attachments).toHaveLength(1);
  const [pdf] = message.Attachments;
  expect(pdf!.ContentType).toBe('application/pdf');
  expect(pdf!.FileName).toBe(`invoice-${input.invoiceId}.pdf`);
  const bytes = Buffer.from(
    await (await fetch(`${mailpit.url}/api/v1/message/${summary!.ID}/part/${pdf!.PartID}`)).arrayBuffer(),
  );
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

  const headers = await api<Record<string, string[]>>(`/message/${summary!.ID}/headers`);
  expect(headers['Auto-Submitted']).toEqual(['auto-generated']);
  expect(headers['List-Unsubscribe']).toEqual(['<https://shop.example/unsubscribe?c=1>']);
  expect(headers['List-Unsubscribe-Post']).toEqual(['List-Unsubscribe=One-Click']);
});

test('sending the same invoice email again sends nothing: the message log has its Message-ID', async () => {
  const send = connector({ URL: smtpUrl() });
  const input = order();
  const first = await run(send, input);
  const again = await run(send, input);
  expect(again.id).toBe(first.id);
  expect(await messagesTo(input.to)).toHaveLength(1);
  // Another invoice for the same order is another message.
  const other = await run(send, { ...input, invoiceId: `${input.invoiceId}-B` });
  expect(other.id).not.toBe(first.id);
  expect(await messagesTo(input.to)).toHaveLength(2);
});

test('a Message-ID the log holds only as part of a longer one is not taken for this message', async () => {
  const send = connector({ URL: smtpUrl() });
  const input = order();
  // The log's search matches substrings: a message whose id contains ours must not stop ours.
  const longer = connector({ URL: smtpUrl(), FROM: 'Example Shop <billing@shop.example.other>' });
  await run(longer, input);
  await run(send, input);
  expect(await messagesTo(input.to)).toHaveLength(2);
});

test('a connection cut after DATA, before the relay’s answer, fails the attempt; the retry finds the message and sends none', async () => {
  const proxy = await SmtpCutProxy.start(mailpit.smtp);
  try {
    proxy.cutsLeft = 1;
    const send = connector({ URL: proxy.url });
    const input = order();
    const failure = await failureOf(run(send, input));
    expect(proxy.cut).toBe(1);
    expect(failure.type).toBe(FailureType.network);
    expect(failure.nonRetryable).toBeFalsy();
    // Mailpit has it although the sender never heard so.
    expect(await messagesTo(input.to)).toHaveLength(1);

    const retried = await run(send, input, 2);
    expect(retried.id).toMatch(/^<invoice-email\./);
    expect(await messagesTo(input.to)).toHaveLength(1);
  } finally {
    await proxy.close();
  }
});

test('without a message log, the same cut leaves a second copy: the window docs/email.md describes', async () => {
  const proxy = await SmtpCutProxy.start(mailpit.smtp);
  try {
    proxy.cutsLeft = 1;
    const send = connector({ URL: proxy.url, MESSAGE_LOG: 'none' });
    const input = order();
    await failureOf(run(send, input));
    await run(send, input, 2);
    const copies = await messagesTo(input.to);
    expect(copies).toHaveLength(2);
    // Both carry the one Message-ID, which is how a mail client or a provider can still fold them into one.
    expect(new Set(copies.map((c) => c.MessageID)).size).toBe(1);
  } finally {
    await proxy.close();
  }
});

test('a greylisting 451 is retried after its delay; a 550 is a rejection no retry repeats', async () => {
  const send = connector({ URL: smtpUrl() });
  await mailpit.setChaos({ Recipient: { ErrorCode: 451, Probability: 100 } });
  const input = order();
  const greylisted = await failureOf(run(send, input));
  expect(greylisted.type).toBe(FailureType.throttled);
  expect(greylisted.nonRetryable).toBeFalsy();
  expect(greylisted.nextRetryDelay).toBe(60_000);
  expect(greylisted.message).toMatch(/SMTP relay 127\.0\.0\.1:\d+ at RCPT answered 451/);

  await mailpit.setChaos({ Sender: { ErrorCode: 550, Probability: 100 } });
  const rejected = await failureOf(run(send, input));
  expect(rejected.type).toBe(FailureType.rejected);
  expect(rejected.nonRetryable).toBe(true);
  expect(rejected.message).toMatch(/answered 550/);
  expect(rejected.message).toMatch(/sending it again cannot succeed/);

  await mailpit.setChaos({});
  await run(send, input, 3);
  expect(await messagesTo(input.to)).toHaveLength(1);
});

test('a relay that is down is a network failure, retried; the URL’s credentials never reach the message', async () => {
  const send = connector({ URL: 'smtp://user:s3cret-pass@127.0.0.1:1' });
  const failure = await failureOf(run(send, order()));
  expect(failure.type).toBe(FailureType.network);
  expect(failure.nonRetryable).toBeFalsy();
  expect(failure.message).toContain('127.0.0.1:1');
  expect(failure.message).not.toContain('s3cret');
});

test('a message log that cannot be read sends nothing: the attempt fails and is retried', async () => {
  const send = connector({ URL: smtpUrl(), MESSAGE_LOG_URL: 'http://127.0.0.1:1' });
  const input = order();
  const failure = await failureOf(run(send, input));
  expect(failure.type).toBe(FailureType.network);
  expect(await messagesTo(input.to)).toHaveLength(0);
});

describe('its variables', () => {
  const check = (suffix: string, value: string) =>
    smtpConnector.variables.find((v) => v.suffix === suffix)!.check?.(value) ?? [];
  test('refuse what would fail at the first send', () => {
    expect(check('URL', 'http://relay.example')).toEqual(['must be an smtp:// or smtps:// URL']);
    expect(check('URL', 'smtps://u:p@relay.example:465')).toEqual([]);
    expect(check('FROM', 'billing')).toHaveLength(1);
    expect(check('FROM', 'Shop <billing@shop.example>')).toEqual([]);
    expect(check('UNSUBSCRIBE_URL', 'javascript:alert(1)')).toHaveLength(1);
    expect(smtpConnector.checkSettings!({ MESSAGE_LOG: 'mailpit', MESSAGE_LOG_URL: '' })).toHaveLength(1);
  });
});
