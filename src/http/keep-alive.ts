import type { Server } from 'node:http';

/**
 * Keeps idle keep-alive connections open for 65 s instead of Node's 5 s. With 5 s, a client (or a load balancer,
 * whose idle timeout is typically 60 s) that reuses a connection just as the server closes it gets ECONNRESET; on a
 * loaded machine, where the client's own idle timer runs late, that happened to test deliveries. headersTimeout must
 * stay above keepAliveTimeout.
 */
export function withLongKeepAlive<S extends Server>(server: S): S {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}
