// QoS 0 delivery to one subscriber, with a bound for a subscriber that stops reading (as
// mosquitto's max_queued_messages bounds its queues). aedes waited a turn of the loop
// (setImmediate) before every QoS 0 delivery, and held the publish until a full socket drained
// however long that took (up to drainTimeout, then cut the subscriber off), so one stalled
// subscriber held back every publisher. Here:
//   - a delivery is written at once, and the publish goes on, while the socket holds less than
//     `socketBytes` unsent;
//   - past that the socket is behind: deliveries are still written, but the publish waits for the
//     socket to drain (backpressure to the publishers through TCP, as aedes does: a subscriber
//     that is only momentarily behind loses nothing);
//   - if the socket has sent nothing for `stallMs`, the subscriber is stalled (it stopped reading,
//     as opposed to reading slowly): the waiting publishes are let go, and until it drains its
//     deliveries wait in a queue of at most `limit`, beyond which the OLDEST is dropped and counted
//     (for sensor values the newest is the one worth having).
// QoS 1/2 deliveries never come here and are never dropped. A delivery is either a packet to encode
// or the bytes of one already encoded (publish-fast-path.ts forwards the publisher's own frame).

import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';

export interface Qos0Packet {
  readonly cmd: 'publish';
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly qos: 0;
  readonly retain: boolean;
  readonly dup: false;
}

/** A QoS 0 PUBLISH already encoded: the same bytes go to every subscriber. */
export interface RawQos0 {
  readonly cmd: 'raw';
  readonly topic: string;
  readonly bytes: Buffer;
}

type Qos0Delivery = Qos0Packet | RawQos0;

export interface Qos0QueueOptions {
  /** Deliveries that may wait for a stalled subscriber; past this the oldest is dropped. */
  readonly limit: number;
  /** Unsent bytes the socket may hold before publishes wait for it to drain. */
  readonly socketBytes: number;
  /** How long a full socket may send nothing before the subscriber counts as stalled. */
  readonly stallMs: number;
  /** Called for each dropped delivery. */
  readonly onDrop: (dropped: { readonly topic: string }) => void;
  /** Called when the subscriber is found stalled (publishes no longer wait for it). */
  readonly onStall: () => void;
  /** Called when writing fails (a packet mqtt-packet cannot encode); the caller closes the connection. */
  readonly onError: (err: Error) => void;
}

export class Qos0Queue {
  /** Deliveries waiting while stalled, oldest first, from `head`. */
  private waiting: Qos0Delivery[] = [];
  private head = 0;
  /** Publishes waiting for the socket to drain (behind, not yet stalled). */
  private held: Array<() => void> = [];
  private behind = false;
  private stalled = false;
  private closed = false;
  private stallTimer: NodeJS.Timeout | null = null;
  /** Bytes handed to the socket so far; what it still holds (writableLength) is the part not yet sent. */
  private bytesIn = 0;
  /** Bytes the socket had sent when the stall timer was last armed. */
  private sentAtMark = 0;
  private readonly onDrain = (): void => this.drained();

  constructor(
    private readonly conn: Duplex,
    private readonly options: Qos0QueueOptions,
  ) {}

  /** How many deliveries wait for a stalled subscriber. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  /** Delivers `packet`; `done` runs when the publish may go on (never synchronously). */
  deliver(packet: Qos0Packet, done: () => void): void {
    if (this.closed || this.conn.destroyed) return void process.nextTick(done);
    if (this.stalled) {
      this.enqueue(packet);
      return void process.nextTick(done);
    }
    this.write(packet);
    if (this.behind) this.held.push(done);
    else process.nextTick(done);
  }

  /**
   * Delivers an encoded PUBLISH. Returns true if the publish may go on now; false if it must wait
   * for this subscriber's socket, and then `release` runs once it may (as `done` does for deliver()).
   */
  deliverRaw(bytes: Buffer, topic: string, release: () => void): boolean {
    if (this.closed || this.conn.destroyed) return true;
    if (this.stalled) {
      // A copy: `bytes` is a view into the publisher's read buffer, which a long wait would keep whole.
      this.enqueue({ cmd: 'raw', topic, bytes: Buffer.from(bytes) });
      return true;
    }
    this.write({ cmd: 'raw', topic, bytes });
    if (!this.behind) return true;
    this.held.push(release);
    return false;
  }

  /** The connection ended: what waits is gone with it (QoS 0 is not kept for a session), and no publish waits for it. */
  close(): void {
    this.closed = true;
    this.waiting = [];
    this.head = 0;
    this.conn.off('drain', this.onDrain);
    this.release();
  }

  private write(packet: Qos0Delivery): void {
    let accepted: boolean;
    const before = this.conn.writableLength;
    try {
      accepted = packet.cmd === 'raw' ? this.conn.write(packet.bytes) : mqttPacket.writeToStream(packet as mqttPacket.IPublishPacket, this.conn);
    } catch (err) {
      this.options.onError(err as Error);
      return;
    }
    this.bytesIn += Math.max(0, this.conn.writableLength - before);
    // Past the stream's 16 KiB mark write() says false but keeps the bytes; 'drain' comes once all are sent.
    if (!accepted && !this.behind && this.conn.writableLength >= this.options.socketBytes) {
      this.behind = true;
      this.conn.once('drain', this.onDrain);
      this.armStallTimer();
    }
  }

  private get bytesSent(): number {
    return this.bytesIn - this.conn.writableLength;
  }

  private armStallTimer(): void {
    this.sentAtMark = this.bytesSent;
    this.stallTimer = setTimeout(() => this.stall(), this.options.stallMs);
    this.stallTimer.unref();
  }

  private stall(): void {
    this.stallTimer = null;
    if (this.closed || !this.behind) return;
    // Reading, only slowly: the publishers keep waiting for it.
    if (this.bytesSent > this.sentAtMark) return this.armStallTimer();
    this.stalled = true;
    this.options.onStall();
    this.release();
  }

  private enqueue(packet: Qos0Delivery): void {
    if (this.length >= this.options.limit) {
      const oldest = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as unknown as Qos0Delivery;
      this.options.onDrop(oldest);
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
    }
    this.waiting.push(packet);
  }

  private drained(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.behind = false;
    this.stalled = false;
    // What waited goes out first (if it fills the socket again, new deliveries are held as usual);
    // only then may the held publishes go on, or their successors would overtake it.
    const waiting = this.waiting.slice(this.head);
    this.waiting = [];
    this.head = 0;
    for (const p of waiting) this.write(p);
    this.release();
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const done of held) done();
  }
}
