import net from 'node:net';

/**
 * How the proxy treats traffic:
 * - `forward`: a plain TCP relay to the target;
 * - `refuse`: nothing listens (connections are refused) and open connections are reset, as when the server is down;
 * - `blackhole`: connections are accepted and bytes go nowhere, as when a network drops packets. Bytes are held,
 *   not lost, so when forwarding resumes the open connections carry on, as TCP would after retransmitting.
 */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole';

interface Link {
  client: net.Socket;
  upstream?: net.Socket;
}

/** A TCP proxy that a test controls, to make a dependency unreachable in either of the two ways networks fail. */
export class TcpProxy {
  private mode: ProxyMode = 'forward';
  private readonly links = new Set<Link>();
  private server: net.Server;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    readonly port: number,
    server: net.Server,
  ) {
    this.server = server;
  }

  /** Starts forwarding to `target` ("host:port") on a free loopback port. */
  static async start(target: string): Promise<TcpProxy> {
    const at = target.lastIndexOf(':');
    if (at < 0) throw new Error(`proxy target must be host:port, got "${target}"`);
    const holder: { proxy?: TcpProxy } = {};
    const server = net.createServer((socket) => holder.proxy?.accept(socket));
    const port = await listen(server, 0);
    holder.proxy = new TcpProxy(target.slice(0, at), Number(target.slice(at + 1)), port, server);
    return holder.proxy;
  }

  /** The address to give the client instead of the target's. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get currentMode(): ProxyMode {
    return this.mode;
  }

  async setMode(mode: ProxyMode): Promise<void> {
    if (mode === this.mode) return;
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'refuse') {
      for (const link of this.links) this.drop(link);
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      return;
    }
    if (previous === 'refuse') {
      this.server = net.createServer((socket) => this.accept(socket));
      await listen(this.server, this.port);
    }
    if (mode === 'blackhole') {
      for (const link of this.links) hold(link);
    } else {
      for (const link of this.links) this.relay(link);
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) this.drop(link);
    if (this.mode !== 'refuse') await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.mode = 'refuse';
  }

  private accept(client: net.Socket): void {
    const link: Link = { client };
    this.links.add(link);
    client.on('error', () => this.drop(link));
    client.on('close', () => this.drop(link));
    if (this.mode === 'blackhole') client.pause();
    else this.relay(link);
  }

  private relay(link: Link): void {
    if (!link.upstream) {
      const upstream = net.connect(this.targetPort, this.targetHost);
      upstream.on('error', () => this.drop(link));
      upstream.on('close', () => this.drop(link));
      link.upstream = upstream;
    }
    link.client.pipe(link.upstream);
    link.upstream.pipe(link.client);
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }
}

function hold(link: Link): void {
  link.client.unpipe();
  link.client.pause();
  link.upstream?.unpipe();
  link.upstream?.pause();
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
