import type { Server } from 'node:http';
import type { Logger } from '../logger';

// The API's graceful shutdown, for orchestrators and load balancers:
// 1. at once, /readyz answers 503 "draining" and every answer carries `Connection: close`, so keep-alive callers
//    reconnect elsewhere;
// 2. for SHUTDOWN_DRAIN_DELAY_MS the ingress keeps serving, while the load balancer notices and stops sending;
// 3. then both listeners stop accepting connections, idle keep-alive connections are closed, and the requests in flight
//    finish (a webhook's answer means its workflow was started or refused: none is cut in the middle);
// 4. the Temporal connection closes, and the process exits 0 — or 1, with what was cut, when SHUTDOWN_TIMEOUT_MS
//    (counted from the signal) ran out first.

export interface Lifecycle {
  /** True from the moment shutdown began. */
  draining(): boolean;
}

export interface ShutdownOptions {
  servers: Server[];
  /** Closes what the servers' handlers used (the Temporal connection). */
  close: () => Promise<void>;
  logger: Logger;
  drainDelayMs: number;
  timeoutMs: number;
}

export function createLifecycle(): Lifecycle & { begin(): boolean } {
  let draining = false;
  return {
    draining: () => draining,
    begin() {
      if (draining) return false;
      draining = true;
      return true;
    },
  };
}

const closed = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** Runs steps 2–4 above once `lifecycle.begin()` has been called; resolves with the exit code. */
export async function drainAndClose(options: ShutdownOptions): Promise<number> {
  const { servers, logger, drainDelayMs, timeoutMs } = options;
  const started = Date.now();
  logger.info({ drainDelayMs, timeoutMs }, 'shutting down: readiness is off, draining');
  if (drainDelayMs > 0) await new Promise((r) => setTimeout(r, Math.min(drainDelayMs, timeoutMs)));

  const allClosed = Promise.all(servers.map(closed));
  for (const server of servers) server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, timeoutMs - (Date.now() - started)));
  });
  const outcome = await Promise.race([allClosed.then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  let code = 0;
  if (outcome === 'timeout') {
    const open = await Promise.all(
      servers.map((s) => new Promise<number>((r) => s.getConnections((_e, n) => r(n ?? 0)))),
    );
    logger.error(
      { timeoutMs, openConnections: open.reduce((a, b) => a + b, 0) },
      'shutdown timed out: cutting the connections still open (their callers will retry)',
    );
    for (const server of servers) server.closeAllConnections();
    code = 1;
  }
  try {
    await options.close();
  } catch (err) {
    logger.error({ err }, 'closing the Temporal connection failed');
    code = 1;
  }
  logger.info({ ms: Date.now() - started, code }, 'shut down');
  return code;
}
