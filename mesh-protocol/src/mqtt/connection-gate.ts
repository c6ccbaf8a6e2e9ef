// Admission control for broker sockets (gateway and hub): a cap on all connections and a smaller cap on those that have
// not authenticated yet. When the pending cap is hit the OLDEST pending socket is dropped, not the
// newest: a flood of idle connects then only ever pushes out other idle connects, while a real
// client, which sends CONNECT within milliseconds, gets through. It also remembers every socket so
// the broker can close without leaving one open.

import type { Socket } from 'node:net';

export interface ConnectionGateOptions {
  readonly maxPending: number;
  readonly maxTotal: number;
  /** Called for each socket dropped to make room or refused outright. */
  readonly onShed: (socket: Socket, why: 'evicted' | 'refused') => void;
}

export class ConnectionGate {
  // A Set iterates in insertion order, so its first element is always the oldest pending socket.
  private readonly pending = new Set<Socket>();
  private readonly all = new Set<Socket>();
  private closed = false;

  constructor(private readonly options: ConnectionGateOptions) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  get totalCount(): number {
    return this.all.size;
  }

  /** Tracks a new socket; false (and the socket destroyed) if it may not stay. */
  admit(socket: Socket): boolean {
    if (this.closed || this.all.size >= this.options.maxTotal) {
      this.options.onShed(socket, 'refused');
      socket.destroy();
      return false;
    }
    while (this.pending.size >= this.options.maxPending) {
      const oldest = this.pending.values().next().value!;
      this.forget(oldest);
      this.options.onShed(oldest, 'evicted');
      oldest.destroy();
    }
    this.all.add(socket);
    this.pending.add(socket);
    socket.once('close', () => this.forget(socket));
    return true;
  }

  /** The socket's client authenticated: it no longer counts against the pending cap. */
  promote(socket: Socket): void {
    this.pending.delete(socket);
  }

  /** Destroys every socket still open and refuses new ones. */
  closeAll(): void {
    this.closed = true;
    for (const socket of [...this.all]) socket.destroy();
    this.all.clear();
    this.pending.clear();
  }

  private forget(socket: Socket): void {
    this.pending.delete(socket);
    this.all.delete(socket);
  }
}
