// An mqtt.js outgoing store that sets DUP on what it resends after a reconnect, as MQTT 3.1.1 asks
// of a client (MQTT-3.3.1-1). mqtt.js 5 resends unacknowledged QoS 1 messages with their packet id
// but with DUP=0; the soak bench runs half its sensors with this store so the gateway's resend
// detection is measured both for mqtt.js as shipped and for a client that follows the spec.

import { Store, type Packet } from 'mqtt';

type DoneCallback = (error?: Error) => void;
type PacketCallback = (error?: Error, packet?: Packet) => void;

export class ResendMarkingStore extends Store {
  /** The same packet objects the base store holds, so marking them marks what it will resend. */
  private readonly live = new Map<number, Packet>();

  override put(packet: Packet, cb: DoneCallback): this {
    this.live.set(packet.messageId!, packet);
    return super.put(packet, cb);
  }

  override del(packet: Pick<Packet, 'messageId'>, cb: PacketCallback): this {
    this.live.delete(packet.messageId!);
    return super.del(packet, cb);
  }

  /**
   * The connection is gone: everything stored so far was written on it (mqtt.js stores a message
   * before writing it while connected), so the next copy of each is a re-delivery. Messages stored
   * later, while offline, go out for the first time and keep DUP=0.
   */
  connectionLost(): void {
    for (const p of this.live.values()) if (p.cmd === 'publish') p.dup = true;
  }
}
