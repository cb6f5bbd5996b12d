import net from 'node:net';
import { mailpitPath } from '../../src/dev/provision-tools.js';
import { type Mailpit, startMailpit } from '../../src/dev/mailpit';

interface MessageSummary {
  ID: string;
  Subject: string;
  From: { Address: string };
  To: { Address: string }[];
}

/** One SMTP session, spoken by hand: each command waits for the server's final reply line and checks its code. */
async function sendBySmtp(host: string, port: number, from: string, to: string, data: string): Promise<string[]> {
  const sock = net.connect(port, host);
  sock.setEncoding('utf8');
  const replies: string[] = [];
  let buffered = '';
  let waiting: { resolve: (line: string) => void; reject: (err: Error) => void } | undefined;
  sock.on('data', (chunk: string) => {
    buffered += chunk;
    // A reply ends with a line whose code is followed by a space ("250 ok"); "250-" lines continue it.
    const m = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffered);
    if (m && waiting) {
      const reply = buffered;
      buffered = '';
      const w = waiting;
      waiting = undefined;
      w.resolve(reply);
    }
  });
  sock.on('error', (err) => waiting?.reject(err));
  const reply = (expected: string, send?: string): Promise<void> =>
    new Promise<string>((resolve, reject) => {
      waiting = { resolve, reject };
      if (send !== undefined) sock.write(send);
    }).then((text) => {
      replies.push(text.trim());
      const last = text.trim().split('\r\n').pop() ?? '';
      if (!last.startsWith(expected)) throw new Error(`SMTP: sent ${JSON.stringify(send)}, got ${text}`);
    });
  try {
    await reply('220');
    await reply('250', 'EHLO switchyard.test\r\n');
    await reply('250', `MAIL FROM:<${from}>\r\n`);
    await reply('250', `RCPT TO:<${to}>\r\n`);
    await reply('354', 'DATA\r\n');
    // Dot-stuffing: a line that starts with "." gets another, so only "\r\n.\r\n" ends the data.
    const body = data.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    await reply('250', `${body}\r\n.\r\n`);
    await reply('221', 'QUIT\r\n');
  } finally {
    sock.destroy();
  }
  return replies;
}

describe('Mailpit, as provisioned', () => {
  let mailpit: Mailpit;

  beforeAll(async () => {
    mailpit = await startMailpit({ binPath: mailpitPath() });
  });

  afterAll(async () => {
    await mailpit?.stop();
  });

  test('a message sent over SMTP can be read back through its API', async () => {
    const subject = `Invoice INV-${Date.now()} paid`;
    const message = [
      'From: Switchyard <billing@switchyard.test>',
      'To: Customer <customer@example.test>',
      `Subject: ${subject}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Thank you for your payment.',
      '.a line that starts with a dot',
    ].join('\n');
    await sendBySmtp(mailpit.smtp.host, mailpit.smtp.port, 'billing@switchyard.test', 'customer@example.test', message);

    const list = (await (await fetch(`${mailpit.url}/api/v1/messages`)).json()) as {
      total: number;
      messages: MessageSummary[];
    };
    expect(list.total).toBe(1);
    const [summary] = list.messages;
    expect(summary).toMatchObject({
      Subject: subject,
      From: { Address: 'billing@switchyard.test' },
      To: [{ Address: 'customer@example.test' }],
    });

    const full = (await (await fetch(`${mailpit.url}/api/v1/message/${summary?.ID}`)).json()) as { Text: string };
    expect(full.Text).toContain('Thank you for your payment.');
    expect(full.Text).toContain('\n.a line that starts with a dot');
  });

  test('its web UI is served: the app page and the bundle it loads', async () => {
    const page = await fetch(`${mailpit.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /<script src="([^"]*dist\/app\.js[^"]*)"/.exec(html)?.[1];
    const style = /<link rel=stylesheet href="([^"]*dist\/app\.css[^"]*)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    for (const [asset, type] of [
      [script, 'javascript'],
      [style, 'text/css'],
    ] as const) {
      const res = await fetch(new URL(asset as string, `${mailpit.url}/`));
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect(res.headers.get('content-type')).toContain(type);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
  });
});
