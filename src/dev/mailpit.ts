import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePorts, spawnGuarded, waitUntilReady } from './child-server';

export interface MailpitOptions {
  /** The mailpit binary: `mailpitPath()` or `resolveMailpit()` of src/dev/provision-tools.js. */
  binPath: string;
  /** How long to wait for it to answer; default 30 s. */
  readyTimeoutMs?: number;
  /** Lets `setChaos` make its SMTP server refuse (Mailpit's chaos triggers), for tests of the replies. */
  chaos?: boolean;
}

/** One chaos trigger of Mailpit: the reply code it answers, and how often (0–100 %). */
export interface ChaosTrigger {
  ErrorCode: number;
  Probability: number;
}

export interface Mailpit {
  /** SMTP, plain and without authentication, on loopback. */
  smtp: { host: string; port: number };
  /** The web UI and, under /api/v1, the API. */
  url: string;
  pid: number;
  /** What Mailpit has logged so far (its last 64 KiB). */
  output(): string;
  /** Stops Mailpit and removes its database; resolves once it has exited. */
  stop(): Promise<void>;
  /** Sets its chaos triggers (started with `chaos: true`): MAIL FROM (Sender) and RCPT TO (Recipient) replies. */
  setChaos(triggers: { Sender?: ChaosTrigger; Recipient?: ChaosTrigger }): Promise<void>;
}

// The OS picks the ports, then Mailpit binds them a moment later; another process may take one in between.
const ATTEMPTS = 3;

/** Starts Mailpit on free loopback ports with a database of its own, and resolves once SMTP and its API answer. */
export async function startMailpit(options: MailpitOptions): Promise<Mailpit> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= ATTEMPTS || !/address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(options: MailpitOptions): Promise<Mailpit> {
  const [smtpPort, httpPort] = (await freePorts(2)) as [number, number];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-mailpit-'));
  const host = '127.0.0.1';
  const url = `http://${host}:${httpPort}`;
  const args = [
    '--smtp',
    `${host}:${smtpPort}`,
    '--listen',
    `${host}:${httpPort}`,
    '--database',
    path.join(dataDir, 'mailpit.db'),
    // Nothing leaves the machine: no look-up of the latest release, no reverse DNS of SMTP clients.
    '--disable-version-check',
    '--smtp-disable-rdns',
    ...(options.chaos ? ['--enable-chaos'] : []),
  ];
  const server = await spawnGuarded(options.binPath, args, 'mailpit');
  const stop = async (): Promise<void> => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(
      server,
      `mailpit (SMTP ${host}:${smtpPort}, HTTP ${url})`,
      async () => (await fetch(`${url}/api/v1/messages`)).ok && (await canConnect(host, smtpPort)),
      options.readyTimeoutMs,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const setChaos = async (triggers: { Sender?: ChaosTrigger; Recipient?: ChaosTrigger }) => {
    const off = { ErrorCode: 451, Probability: 0 };
    const res = await fetch(`${url}/api/v1/chaos`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Sender: triggers.Sender ?? off, Recipient: triggers.Recipient ?? off }),
    });
    if (!res.ok) throw new Error(`mailpit refused the chaos triggers: ${res.status} ${await res.text()}`);
  };
  return { smtp: { host, port: smtpPort }, url, pid: server.pid, output: server.output, stop, setChaos };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
