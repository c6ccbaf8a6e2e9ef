// A TCP relay between the soak bench's sensors and the gateway that can cut every link the way a
// flaky network does: the gateway's last replies (PUBACKs for readings it has already taken) are
// swallowed, then the connections drop. The sensors resend what was not acknowledged on their next
// connection, which is exactly the case the gateway's resend detection must recognise; unlike a
// SIGKILL, whose window between taking a reading and acknowledging it is a few milliseconds, this
// produces resends of taken readings every time.

import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class LinkCutter {
  private readonly server: Server;
  private readonly links = new Set<{ client: Socket; upstream: Socket; hold: boolean }>();
  cuts = 0;

  private constructor(
    server: Server,
    readonly port: number,
  ) {
    this.server = server;
  }

  static async start(targetPort: number): Promise<LinkCutter> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const cutter = new LinkCutter(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => cutter.relay(client, targetPort));
    return cutter;
  }

  private relay(client: Socket, targetPort: number): void {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const link = { client, upstream, hold: false };
    this.links.add(link);
    const end = (): void => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (b) => upstream.write(b));
    // While a cut is under way the gateway's replies are dropped: taken, but never acknowledged.
    upstream.on('data', (b) => {
      if (!link.hold) client.write(b);
    });
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }

  /** Swallows what the gateway sends for `holdMs`, then drops every link. */
  async cut(holdMs = 300): Promise<void> {
    this.cuts++;
    const links = [...this.links];
    for (const l of links) l.hold = true;
    await new Promise((r) => setTimeout(r, holdMs));
    for (const l of links) {
      l.client.destroy();
      l.upstream.destroy();
    }
  }

  close(): Promise<void> {
    for (const l of this.links) {
      l.client.destroy();
      l.upstream.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
