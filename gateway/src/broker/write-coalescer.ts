// Batches what the broker writes to one TCP socket in one turn of the event loop into one system
// call. mqtt-packet corks a socket only for the pieces of a single packet, so every PUBACK and every
// delivered PUBLISH cost a writev of its own: a third of the broker's CPU under QoS 1 fan-in, and
// as many wake-ups for the client. Held until the loop's check phase (setImmediate), the writes of
// a burst (the deliveries aedes schedules with setImmediate, the acknowledgements of one read) go
// out together, a turn of the loop later at most.

import type { Socket } from 'node:net';

export function coalesceWrites(socket: Socket): void {
  const write = socket.write;
  let held = false;
  const release = (): void => {
    held = false;
    // end() and destroy() may have come first; end() already flushed, and a destroyed socket drops it anyway.
    if (socket.writableCorked > 0) socket.uncork();
  };
  const destroy = socket.destroy;
  // What the broker wrote before it cut a client off (the PUBACKs of the messages it took before a
  // refused one) goes out first, as it would have without the hold.
  socket.destroy = function flushedDestroy(this: Socket, ...args: Parameters<Socket['destroy']>): Socket {
    if (held && !this.destroyed && this.writableCorked > 0) this.uncork();
    return destroy.apply(this, args);
  };
  socket.write = function coalescedWrite(this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!held && !this.destroyed) {
      held = true;
      this.cork();
      setImmediate(release);
    }
    return write.apply(this, args);
  } as Socket['write'];
}
