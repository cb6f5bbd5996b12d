import net from 'node:net';

/**
 * A TCP proxy in front of an SMTP server that, on the connections it is told to cut, forwards the whole message
 * (DATA and the lone "." that ends it) and then drops the client's connection as soon as the server answers, before
 * the answer reaches the client: the server has the message, the client cannot know it.
 */
export class SmtpCutProxy {
  /** Connections still to cut after DATA; the rest are forwarded whole. */
  cutsLeft = 0;
  /** How many connections were cut. */
  cut = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<SmtpCutProxy> {
    const holder: { proxy?: SmtpCutProxy } = {};
    const server = net.createServer((client) => holder.proxy!.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.proxy = new SmtpCutProxy(server, (server.address() as net.AddressInfo).port);
    return holder.proxy;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket, target: { host: string; port: number }): void {
    const upstream = net.connect(target.port, target.host);
    this.sockets.add(client).add(upstream);
    const cutThis = this.cutsLeft > 0;
    if (cutThis) this.cutsLeft -= 1;
    // The client's bytes so far, to see DATA's end ("\r\n.\r\n" after the DATA command).
    let sent = '';
    let dataEnded = false;
    client.on('data', (chunk) => {
      upstream.write(chunk);
      if (!cutThis || dataEnded) return;
      sent = (sent + chunk.toString('latin1')).slice(-64 * 1024);
      const data = sent.search(/(^|\r\n)DATA\r\n/i);
      if (data >= 0 && sent.slice(data).includes('\r\n.\r\n')) dataEnded = true;
    });
    upstream.on('data', (chunk) => {
      if (dataEnded) {
        // The server's answer to the message: it is stored. The client never hears it.
        this.cut += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
