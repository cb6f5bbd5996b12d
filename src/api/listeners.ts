import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withLongKeepAlive } from '../http/keep-alive';
import { type AppDeps, createApp, createOperatorApp } from './app';

export interface Listening {
  server: Server;
  url: string;
}

/** Listens on host:port (port 0 picks a free one) and resolves with the server and its base URL. */
export function listen(
  app: { listen: (port: number, host: string, cb: () => void) => Server },
  port: number,
  host: string,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = withLongKeepAlive(
      app.listen(port, host, () => {
        const { port: actual } = server.address() as AddressInfo;
        resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}` });
      }),
    );
    server.on('error', reject);
  });
}

/**
 * The API's two listeners: the public ingress on PORT/HOST, and the operator listener (/admin, /metrics) on
 * ADMIN_PORT/ADMIN_HOST, loopback by default, so nothing but webhooks and probes is exposed where senders connect.
 */
export async function listenApi(
  deps: AppDeps,
  ports: { ingress?: number; operator?: number } = {},
): Promise<{ ingress: Listening; operator: Listening }> {
  const { http, operator } = deps.config;
  const ingress = await listen(createApp(deps), ports.ingress ?? http.port, http.host);
  try {
    return {
      ingress,
      operator: await listen(createOperatorApp(deps), ports.operator ?? operator.port, operator.host),
    };
  } catch (err) {
    ingress.server.close();
    throw err;
  }
}
