import { spawnGuarded, waitUntilReady } from './child-server';

export interface StripeMockOptions {
  /** The stripe-mock binary: `stripeMockPath()` or `resolveStripeMock()` of src/dev/provision-tools.js. */
  binPath: string;
  /** How long to wait for it to answer; default 30 s. */
  readyTimeoutMs?: number;
}

export interface StripeMock {
  /** Stripe's API over plain HTTP, e.g. the `stripe` SDK's host, port and protocol. */
  url: string;
  host: string;
  port: number;
  /** Any `sk_test_…` key passes; stripe-mock checks the header's shape, not the key. */
  apiKey: string;
  pid: number;
  /** What stripe-mock has printed so far (its last 64 KiB). */
  output(): string;
  /** Stops stripe-mock; resolves once it has exited. */
  stop(): Promise<void>;
}

const API_KEY = 'sk_test_123';
const LISTENING = /Listening for HTTP at address: ([\d.]+):(\d+)/;

/**
 * Starts stripe-mock on a loopback port the OS picks (it prints the one it got) and resolves once its API answers.
 */
export async function startStripeMock(options: StripeMockOptions): Promise<StripeMock> {
  // An HTTP address alone leaves its default HTTPS listener on, on a fixed port of every interface; giving HTTPS an
  // address too keeps both on loopback and on ports nobody else holds.
  const args = ['-http-addr', '127.0.0.1:0', '-https-addr', '127.0.0.1:0'];
  const server = await spawnGuarded(options.binPath, args, 'stripe-mock');
  let address: { host: string; port: number } | undefined;
  try {
    await waitUntilReady(
      server,
      'stripe-mock',
      async () => {
        const m = LISTENING.exec(server.output());
        if (!m) return false;
        address = { host: m[1] as string, port: Number(m[2]) };
        const res = await fetch(`http://${address.host}:${address.port}/v1/customers`, {
          headers: { Authorization: `Bearer ${API_KEY}` },
        });
        return res.ok;
      },
      options.readyTimeoutMs,
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  const { host, port } = address as { host: string; port: number };
  return {
    url: `http://${host}:${port}`,
    host,
    port,
    apiKey: API_KEY,
    pid: server.pid,
    output: server.output,
    stop: () => server.stop(),
  };
}
