// The public router: reliable delivery over managed flooding over the receive/transmit core
// (router-core.ts -> flooding-router.ts -> reliable-router.ts), plus its own one job: frames that
// another gateway heard, handed to us over MQTT.

import { BROADCAST, lastByte, relayCopy } from '../frame/header.ts';
import { ReliableRouter } from './reliable-router.ts';

export type { RouterOptions, SendOptions } from './router-core.ts';
export type { RouterEvents, Delivery, NakReason } from './router-events.ts';

export class MeshRouter extends ReliableRouter {
  /**
   * A frame another gateway heard, handed to us over MQTT. It is authenticated, deduplicated,
   * delivered and (when it is ours) acked or taken as an ack like one from the air; one for others
   * is put on air with via_mqtt set (so no gateway uplinks it again), keeping its hop limit: it has
   * not crossed any of our radio hops yet. It teaches the neighbour table nothing, since no radio
   * of ours heard it. Returns whether it was new.
   */
  injectFromMqtt(bytes: Uint8Array): boolean {
    const now = this.scheduler.now();
    const decoded = this.decode(bytes);
    if (decoded === undefined) return false;
    const header = { ...decoded.header, viaMqtt: true };
    const { data, channel } = decoded;
    if (header.from === this.nodeId) return (this.dropFrame('own-frame'), false);
    if (this.seen.get(header.from, header.id, now)?.channel === channel) return (this.dropFrame('duplicate'), false);
    const record = this.admit(header, data, channel, 0, now);
    if (record === undefined) return false;
    this.emit('heard', { header, data, bytes, rssi: NaN, snr: NaN });
    if (header.to === this.nodeId || header.to === BROADCAST) this.deliver(header, data, channel.name, NaN, NaN, now);
    // Ours as from the air: an ack settles our wait, a message wanting one is acked.
    if (header.to === this.nodeId) this.messageForUs(header, data, record, now);
    if (header.to !== this.nodeId) this.relayNow(record, relayCopy(bytes, { hopLimit: header.hopLimit, viaMqtt: true, relayNode: lastByte(this.nodeId) }));
    return true;
  }
}
