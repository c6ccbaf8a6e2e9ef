// QoS 0 publishes routed below aedes' per-packet machinery (issue 14). Profiled under a 100->1
// QoS 0 fan-in, the broker's time went to mqtt-packet's parser (a BufferList copy per packet),
// aedes' publish series, mqemitter and encoding each delivery again: ~12 us a message against
// mosquitto's ~5. A QoS 0 PUBLISH whose bytes need nothing from aedes is instead forwarded as the
// very frame the publisher sent (for MQTT 3.1/3.1.1 a QoS 0, non-retained, DUP 0 PUBLISH is
// byte for byte what each subscriber must receive) into each subscriber's Qos0Queue, which keeps
// the bound, the drop count and the backpressure to the publisher.
//
// Every rule stays with the broker, because a frame takes this path only when nothing is left
// to decide:
//   - the topic's bytes are valid UTF-8 of a topic name the broker's ACL allows this client (judged
//     once per client and topic, and remembered); a refusal, a `$` topic, a malformed packet goes
//     to the aedes path, which refuses, counts and logs it as before;
//   - the payload is within the size limit; the frame is QoS 0, not retained (retained messages
//     are stored by aedes), DUP 0, its length minimally encoded;
//   - publisher and every subscriber speak MQTT 3.1/3.1.1 (the broker refuses MQTT 5 today; an
//     MQTT 5 PUBLISH carries properties, so were it let in, its messages would go through aedes),
//     and every listener aedes has for the topic is a subscription of a client with a Qos0Queue;
//   - the gateway's own subscribers (uplink, profiles) still see it, through the broker's take().
// Anything else is handed to aedes' parser unchanged and in order.
//
// QoS 1 publishes take the same path when their delivery needs nothing aedes would keep (under a
// 100->1 QoS 1 fan-in the broker spent ~19 us a message against mosquitto's ~15.5, most of it in
// the same machinery). aedes stores a QoS 1 message for every persistent session that subscribes
// (online or not) and keeps no state for a clean session's deliveries on the connection (it never
// resends them), so a frame is forwarded only when:
//   - no persistent session's subscription matches the topic (asked of the store once per topic
//     and subscription change; until it answers, aedes carries the topic), and every subscriber
//     online has a clean session;
//   - the frame is QoS 1, not retained, DUP 0, with a packet id other than 0, and the publisher's
//     session is clean, or the gateway's own subscribers do not take the topic (a persistent
//     session's messages to them go through the resend record, gateway-broker's takeInternally).
// The publisher gets its PUBACK once the gateway took the message, before it is routed, as aedes
// does. Each subscriber gets the publisher's frame with a packet id of its own, from aedes' own
// counter for that client (so the ids it hands out and these never meet in flight), or, where it
// was granted QoS 0 only, the same message as a QoS 0 frame through its Qos0Queue. Its PUBACK goes
// to aedes, which finds nothing to clear for a clean session, as for its own deliveries. A
// subscriber whose socket is full holds the publisher until it drains, as aedes' own write does,
// with its drain timeout (a subscriber that stops reading is cut off; nothing is dropped).

import type { Client } from 'aedes';
import type { Qos0Queue } from './qos0-queue.ts';

/** What the broker does for a frame the fast path takes. */
export interface FastPathHost {
  /**
   * The message passed the ACL (allowed topic) and is about to go to `deliveries` subscribers:
   * count it and hand it to the gateway's own subscribers (`payload` is null when none matches).
   * An Error refuses it, as the aedes path's authorizePublish would, and the client is cut off;
   * 'dropped' (the hub would refuse it) has it acknowledged and delivered to nobody.
   */
  take(client: Client, topic: string, payload: Buffer | null, deliveries: number, qos: 0 | 1): Error | 'dropped' | null;
  /** Whether one of the gateway's own subscriptions matches `topic`. */
  takesInternally(topic: string): boolean;
  /**
   * Whether the broker would let `client` publish to `topic` (a valid topic name its ACL allows),
   * judged without counting or logging: a "no" goes to the aedes path, which refuses it properly.
   */
  allows(client: Client, topic: string): boolean;
  /** The QoS a QoS 1 message on `topic` goes to `subscriber` with: the highest its matching subscriptions were granted, at most 1. */
  deliveryQos(subscriber: Client, topic: string): 0 | 1;
  /** Whether a persistent session's subscription (its client online or not) matches `topic`: the store keeps a QoS 1 message for it. */
  durablySubscribed(topic: string): Promise<boolean>;
}

type Listener = (...args: never[]) => unknown;

/** The parts of aedes this works with; aedes 1.2 keeps them on its broker and client objects. */
interface AedesInternals {
  readonly mq: {
    on: (...args: never[]) => unknown;
    removeListener: (...args: never[]) => unknown;
    readonly _matcher: { match(topic: string): Listener[] };
  };
  readonly clients: Record<string, Client>;
}

interface ClientInternals {
  readonly id: string;
  readonly clean: boolean;
  readonly closed: boolean;
  readonly conn: { readonly destroyed: boolean; readonly writableLength: number; write(bytes: Buffer): boolean };
  /** The next packet id aedes gives a QoS 1/2 delivery to this client (1-65535, wrapping). */
  _nextId: number;
  /** aedes' wait for the socket to drain, bounded by its drainTimeout (after which it cuts the client off). */
  waitForDrain(callback: () => void): void;
  readonly connackSent: boolean;
  readonly version: number | null;
  readonly subscriptions: Record<string, { readonly func: Listener }>;
  readonly _parser: {
    parse(buf: Buffer): unknown;
    prependListener(event: 'packet', listener: () => void): unknown;
    _queue: unknown[] | null;
    _list: { length: number };
    _stateCounter: number;
  };
  _parsingBatch: number;
  /** What aedes calls when it has finished with a packet (its done), and on every 'readable' event. */
  _nextBatch: (err?: Error) => void;
  readonly _keepaliveInterval: number;
  readonly _keepaliveTimer: NodeJS.Timeout | null;
  emit(event: 'error', err: Error): boolean;
}

interface Route {
  readonly generation: number;
  readonly topic: string;
  /** The subscribers, one per client; null when some listener is not one the fast path can serve. */
  readonly subscribers: readonly Subscriber[] | null;
  /** Their queues, in the same order. */
  readonly queues: readonly Qos0Queue[] | null;
  readonly internal: boolean;
  /** Where a QoS 1 message goes; null: through aedes; PENDING: the store has not said yet whether it keeps such messages. */
  qos1: readonly Qos1Target[] | null | typeof PENDING | undefined;
}

interface Subscriber {
  readonly client: Client;
  readonly queue: Qos0Queue;
}

interface Qos1Target extends Subscriber {
  readonly qos: 0 | 1;
}

const PENDING = Symbol('pending');

/** Topics remembered per client as allowed; a client past this (a topic per message) starts again. */
const ALLOWED_TOPICS_PER_CLIENT = 256;
/** Routes remembered; past this the cache starts again (a route costs one aedes topic match to rebuild). */
const MAX_ROUTES = 4096;
/**
 * Counted into aedes' parsing-batch counter while a publish waits for a subscriber: aedes reads the
 * socket again only when that counter is back to 0, and its own 'readable' events each take one off.
 */
const HOLD_COUNT = 1 << 30;
const MQTT_3_1 = 3;
const MQTT_3_1_1 = 4;
/** PUBLISH, QoS 0, DUP 0, RETAIN 0. */
const PLAIN_QOS0_PUBLISH = 0x30;
/** PUBLISH, QoS 1, DUP 0, RETAIN 0. */
const PLAIN_QOS1_PUBLISH = 0x32;
const PUBACK = 0x40;
const PUBLISH_TYPE = 3;
const MAX_PACKET_ID = 65535;

/** A first byte the fast path may take (the rest of the frame still decides). */
function fastKind(byte: number | undefined): boolean {
  return byte === PLAIN_QOS0_PUBLISH || byte === PLAIN_QOS1_PUBLISH;
}

export class PublishFastPath {
  private readonly connections = new WeakMap<Client, FastConnection>();
  private readonly routes = new Map<string, Route>();
  /** Bumped by every subscription change (aedes' and the gateway's own): every route is then rebuilt. */
  private generation = 0;
  private owners: { generation: number; byListener: Map<Listener, Client> } = { generation: -1, byListener: new Map() };

  constructor(
    private readonly aedes: AedesInternals,
    private readonly host: FastPathHost,
    private readonly maxPayloadBytes: number,
  ) {
    const mq = aedes.mq;
    const on = mq.on;
    const removeListener = mq.removeListener;
    mq.on = (...args) => {
      this.generation++;
      return on.apply(mq, args);
    };
    mq.removeListener = (...args) => {
      this.generation++;
      return removeListener.apply(mq, args);
    };
  }

  /** The gateway's own subscriptions changed. */
  invalidate(): void {
    this.generation++;
  }

  /** Takes over splitting `client`'s bytes into packets; call right after aedes.handle(), before any arrive. */
  watch(client: Client): void {
    this.connections.set(client, new FastConnection(this, client as unknown as ClientInternals));
  }

  /** `client`'s QoS 0 deliveries go through `queue` (the broker's deliver0 replacement uses the same one). */
  serveWith(client: Client, queue: Qos0Queue): void {
    const c = this.connections.get(client);
    if (c) c.queue = queue;
  }

  /** The broker's ACL allowed `client` to publish to `topic`. */
  allow(client: Client, topic: string): void {
    const c = this.connections.get(client);
    if (!c || topic.startsWith('$')) return;
    if (c.allowed.size >= ALLOWED_TOPICS_PER_CLIENT) c.allowed.clear();
    // Keyed by the topic's UTF-8 bytes read as latin1: one char per byte, so the key of a frame's
    // topic is taken without decoding it, and only the exact bytes the ACL judged can match.
    c.allowed.add(Buffer.from(topic, 'utf8').toString('latin1'));
  }

  /** @internal The route for a topic (by its latin1 key), rebuilt after any subscription change. */
  routeFor(key: string): Route {
    const known = this.routes.get(key);
    if (known && known.generation === this.generation) return known;
    if (this.routes.size >= MAX_ROUTES) this.routes.clear();
    const topic = Buffer.from(key, 'latin1').toString('utf8');
    const subscribers = this.subscribersOf(topic);
    const route: Route = {
      generation: this.generation,
      topic,
      subscribers,
      queues: subscribers && subscribers.map((s) => s.queue),
      internal: this.host.takesInternally(topic),
      qos1: undefined,
    };
    this.routes.set(key, route);
    return route;
  }

  /** @internal Where a QoS 1 message on the route goes, or null while (or if) aedes must carry it. */
  qos1Targets(route: Route): readonly Qos1Target[] | null {
    if (route.qos1 !== undefined) return route.qos1 === PENDING ? null : route.qos1;
    const subscribers = route.subscribers;
    if (subscribers === null || subscribers.some((s) => !(s.client as unknown as ClientInternals).clean)) {
      route.qos1 = null;
      return null;
    }
    route.qos1 = PENDING;
    const targets = subscribers.map((s) => ({ ...s, qos: this.host.deliveryQos(s.client, route.topic) }));
    // A subscription change meanwhile makes a new route; this one is then never used again.
    this.host.durablySubscribed(route.topic).then(
      (durable) => (route.qos1 = durable ? null : targets),
      () => (route.qos1 = null),
    );
    return null;
  }

  /** @internal */
  get fastHost(): FastPathHost {
    return this.host;
  }

  /** @internal */
  get payloadLimit(): number {
    return this.maxPayloadBytes;
  }

  private subscribersOf(topic: string): Subscriber[] | null {
    const owners = this.ownersByListener();
    const subscribers: Subscriber[] = [];
    const seen = new Set<Client>();
    for (const listener of this.aedes.mq._matcher.match(topic)) {
      const owner = owners.get(listener);
      if (!owner) return null;
      // One copy per client however many of its subscriptions match (aedes' dedupe does the same).
      if (seen.has(owner)) continue;
      seen.add(owner);
      const internals = owner as unknown as ClientInternals;
      const queue = this.connections.get(owner)?.queue;
      if (!queue || (internals.version !== MQTT_3_1 && internals.version !== MQTT_3_1_1)) return null;
      subscribers.push({ client: owner, queue });
    }
    return subscribers;
  }

  private ownersByListener(): Map<Listener, Client> {
    if (this.owners.generation === this.generation) return this.owners.byListener;
    const byListener = new Map<Listener, Client>();
    for (const id in this.aedes.clients) {
      const client = this.aedes.clients[id]!;
      const subscriptions = (client as unknown as ClientInternals).subscriptions;
      for (const filter in subscriptions) byListener.set(subscriptions[filter]!.func, client);
    }
    this.owners = { generation: this.generation, byListener };
    return byListener;
  }
}

/** One client's bytes on their way in: complete frames either taken here or handed to aedes' parser. */
class FastConnection {
  queue: Qos0Queue | null = null;
  readonly allowed = new Set<string>();
  /**
   * Bytes not looked at yet, in the order they came: an incomplete frame, what came while a publish
   * waits, or what came while frames were being handed to aedes. Kept as chunks and joined only
   * when the frame they start is complete: a large packet trickling in byte by byte is not copied
   * again at every byte.
   */
  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the incomplete frame at the start of `chunks` needs in all (0: its header is not complete). */
  private needed = 0;
  /** Subscribers the current publish waits for; while > 0 nothing more is read from this client. */
  private waitingFor = 0;
  private taking = false;
  /** After bytes that are not MQTT, everything goes to aedes' parser, which closes the connection. */
  private passThrough = false;
  private readonly parse: (buf: Buffer) => unknown;
  /** Set by routeOf(): where the topic of the frame it routed ends (the packet id or the payload follows). */
  private topicEnd = 0;
  /** Set by routeOf() for a QoS 1 frame: where its message goes. */
  private qos1: readonly Qos1Target[] | null = null;
  /**
   * Packets aedes' parser emitted that aedes has not finished with. Its _parsingBatch does not say
   * this: aedes lowers it on every 'readable' event too, so it can be 0 while an earlier packet is
   * still on its way (a retained message being stored, a QoS 1 message waiting on the store and a
   * turn of the loop), and a frame forwarded then would overtake it.
   */
  private inAedes = 0;
  /**
   * A PUBLISH was handed to aedes and it has not finished with it: nothing more of this client is
   * looked at (or read) until it has. aedes handles all packets of a read at once, and a message
   * that takes longer through it (a retained one being stored, a QoS 1 one being queued for a
   * persistent session) was overtaken by the next, even on the same topic; handed one at a time,
   * a client's messages leave in the order they came, whichever path each takes.
   */
  private awaitingAedes = false;
  private readonly nextBatch: (err?: Error) => void;
  private readonly release = (): void => {
    if (--this.waitingFor > 0) return;
    const client = this.client;
    client._parsingBatch -= HOLD_COUNT;
    if (this.taking) return;
    this.drain();
    // In place of the finished publish's done(): aedes reads the socket again unless its own packets are under way.
    if (this.waitingFor === 0 && client._parsingBatch <= 0) {
      client._parsingBatch = 1;
      this.nextBatch();
    }
  };

  constructor(
    private readonly path: PublishFastPath,
    private readonly client: ClientInternals,
  ) {
    const parser = client._parser;
    // Counted before aedes' own listener runs, which may finish the packet at once.
    parser.prependListener('packet', () => this.inAedes++);
    const nextBatch = client._nextBatch;
    this.nextBatch = nextBatch;
    client._nextBatch = (err) => {
      if (this.inAedes > 0) this.inAedes--;
      if (!this.awaitingAedes || this.inAedes > 0 || err) return nextBatch(err);
      this.awaitingAedes = false;
      client._parsingBatch -= HOLD_COUNT;
      // aedes' own bookkeeping for the packet it finished (it may read and hand on more), then what waited here.
      nextBatch();
      if (!this.taking && this.waitingFor === 0 && !this.awaitingAedes && this.pendingBytes > 0 && this.pendingBytes >= this.needed) this.drain();
    };
    this.parse = parser.parse.bind(parser);
    parser.parse = (chunk: Buffer) => {
      if (this.passThrough) return this.parse(chunk);
      this.chunks.push(chunk);
      this.pendingBytes += chunk.length;
      if (!this.taking && this.waitingFor === 0 && !this.awaitingAedes && this.pendingBytes >= this.needed) this.drain();
      return undefined;
    };
  }

  private drain(): void {
    this.taking = true;
    try {
      while (this.pendingBytes > 0 && this.pendingBytes >= this.needed && this.waitingFor === 0 && !this.awaitingAedes) {
        const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.pendingBytes);
        this.chunks = [];
        this.pendingBytes = 0;
        this.needed = 0;
        const stop = this.takeFrames(data);
        if (stop >= data.length) continue;
        // Bytes aedes read for us while we were handing it frames come after what is left here.
        const arrived = this.chunks.length > 0;
        const tail = data.subarray(stop);
        this.chunks.unshift(tail);
        this.pendingBytes += tail.length;
        if (!arrived && this.waitingFor === 0 && !this.awaitingAedes) break;
      }
    } finally {
      this.taking = false;
    }
  }

  /** Goes through `data` frame by frame; returns where it stopped: an incomplete frame, or after a publish that must wait. */
  private takeFrames(data: Buffer): number {
    const client = this.client;
    const length = data.length;
    let at = 0;
    /** Start of frames not yet handed to aedes, or -1. */
    let forAedes = -1;
    let took = false;
    // aedes' parser is inside a packet (see below): the bytes that follow are its to parse.
    if (!this.parserBetweenPackets()) {
      this.parse(data);
      return length;
    }
    while (at < length) {
      if (this.passThrough) {
        if (forAedes < 0) forAedes = at;
        at = length;
        break;
      }
      // Fixed header: type and flags, then the remaining length in 1-4 bytes of 7 bits each.
      let remaining = 0;
      let multiplier = 1;
      let i = at + 1;
      let complete = false;
      let minimal = true;
      while (i < length) {
        const b = data[i++]!;
        remaining += (b & 0x7f) * multiplier;
        if ((b & 0x80) === 0) {
          complete = true;
          // A last length byte of 0 after the first is a non-minimal encoding: aedes' parser decides on it.
          if (b === 0 && i - at > 2) minimal = false;
          break;
        }
        multiplier *= 128;
        if (i - at > 4) {
          // Not MQTT: aedes' parser says so and closes the connection.
          this.passThrough = true;
          break;
        }
      }
      if (this.passThrough) continue;
      const end = i + remaining;
      if (!complete || end > length) {
        // Only the start of a packet: a QoS 0/1 PUBLISH waits here for the rest; anything else goes
        // to aedes' parser at once, which judges a header as soon as it sees it (garbage is refused
        // on its first bytes, not once as many bytes as it announces have come).
        if (!fastKind(data[at])) {
          if (forAedes < 0) forAedes = at;
          at = length;
        } else if (complete) this.needed = end - at;
        break;
      }
      // After a frame for aedes, the frames that follow it go to aedes too, up to its next PUBLISH (see ready()).
      const route = forAedes < 0 && minimal && fastKind(data[at]) && this.ready() ? this.routeOf(data, i, end, data[at] === PLAIN_QOS1_PUBLISH) : null;
      if (route === null) {
        if (forAedes < 0) forAedes = at;
        const publish = data[at]! >> 4 === PUBLISH_TYPE;
        at = end;
        if (!publish) continue;
        // One PUBLISH at a time to aedes (awaitingAedes); it may be done with it at once.
        this.parse(data.subarray(forAedes, at));
        forAedes = -1;
        if (this.inAedes > 0 && !client.closed) {
          this.awaitingAedes = true;
          client._parsingBatch += HOLD_COUNT;
          break;
        }
        continue;
      }
      took = true;
      if (!(this.qos1 ? this.forwardQos1(this.qos1, route, data, at, i, end) : this.forward(route, data, at, end))) return length;
      at = end;
      if (this.waitingFor > 0) {
        client._parsingBatch += HOLD_COUNT;
        break;
      }
    }
    if (took && client._keepaliveInterval > 0) client._keepaliveTimer?.refresh();
    if (forAedes >= 0) this.parse(data.subarray(forAedes, at));
    return at;
  }

  /**
   * Connected, and nothing of this client's with aedes: no packet queued from before the CONNACK or
   * still being handled (a frame forwarded now would overtake it; aedes, for one, stores a retained
   * message before routing it), no partial packet in its parser.
   */
  private ready(): boolean {
    const c = this.client;
    return (
      this.queue !== null &&
      c.connackSent &&
      !c.closed &&
      c._parsingBatch <= 0 &&
      this.inAedes === 0 &&
      c._parser._queue === null &&
      this.parserBetweenPackets() &&
      (c.version === MQTT_3_1 || c.version === MQTT_3_1_1)
    );
  }

  /** mqtt-packet's parser holds no bytes and is not part-way through a packet (it consumes a header before the rest has come). */
  private parserBetweenPackets(): boolean {
    const parser = this.client._parser;
    return parser._stateCounter === 0 && parser._list.length === 0;
  }

  /** The route of a QoS 0/1 PUBLISH (its variable header from `body`) if it can be forwarded; null: aedes takes it. */
  private routeOf(data: Buffer, body: number, end: number, qos1: boolean): Route | null {
    if (end - body < 2) return null;
    const topicEnd = body + 2 + data.readUInt16BE(body);
    const payloadStart = qos1 ? topicEnd + 2 : topicEnd;
    // Packet id 0 is not one [MQTT-2.3.1-1]: whatever is done with it, aedes does.
    if (payloadStart > end || end - payloadStart > this.path.payloadLimit || (qos1 && data.readUInt16BE(topicEnd) === 0)) return null;
    const key = data.toString('latin1', body + 2, topicEnd);
    if (!this.allowed.has(key) && !this.judge(data, body + 2, topicEnd, key)) return null;
    const route = this.path.routeFor(key);
    if (route.queues === null) return null;
    let targets: readonly Qos1Target[] | null = null;
    if (qos1) {
      if (!this.client.clean && route.internal) return null;
      targets = this.path.qos1Targets(route);
      if (targets === null) return null;
    }
    this.topicEnd = topicEnd;
    this.qos1 = targets;
    return route;
  }

  /** Judges a topic not seen from this client yet; remembers it if allowed. */
  private judge(data: Buffer, start: number, end: number, key: string): boolean {
    const topic = data.toString('utf8', start, end);
    // Bytes that are not UTF-8 decode to replacement characters and do not encode back to themselves.
    if (Buffer.byteLength(topic, 'utf8') !== end - start || Buffer.compare(Buffer.from(topic, 'utf8'), data.subarray(start, end)) !== 0) return false;
    if (!this.path.fastHost.allows(this.client as unknown as Client, topic)) return false;
    if (this.allowed.size >= ALLOWED_TOPICS_PER_CLIENT) this.allowed.clear();
    this.allowed.add(key);
    return true;
  }

  /** Hands the message to the broker: 'taken' (deliver it), 'dropped' (acknowledge it only), or 'refused' (the client is cut off). */
  private take(route: Route, data: Buffer, payloadStart: number, end: number, deliveries: number, qos: 0 | 1): 'taken' | 'dropped' | 'refused' {
    const payload = route.internal ? Buffer.from(data.subarray(payloadStart, end)) : null;
    const verdict = this.path.fastHost.take(this.client as unknown as Client, route.topic, payload, deliveries, qos);
    if (verdict === null) return 'taken';
    if (verdict === 'dropped') return 'dropped';
    this.passThrough = true;
    this.client.emit('error', verdict);
    return 'refused';
  }

  /** Sends the frame to every subscriber; false if the broker refused it (the client is then cut off). */
  private forward(route: Route, data: Buffer, at: number, end: number): boolean {
    const queues = route.queues!;
    const verdict = this.take(route, data, this.topicEnd, end, queues.length, 0);
    if (verdict !== 'taken') return verdict === 'dropped';
    if (queues.length === 0) return true;
    const frame = data.subarray(at, end);
    for (const queue of queues) {
      if (!queue.deliverRaw(frame, route.topic, this.release)) this.waitingFor++;
    }
    return true;
  }

  /**
   * A QoS 1 message: taken, acknowledged, then sent to every subscriber with a packet id of its own
   * (or as QoS 0 where that is all it was granted); false if the broker refused it.
   */
  private forwardQos1(targets: readonly Qos1Target[], route: Route, data: Buffer, at: number, body: number, end: number): boolean {
    const client = this.client;
    const idAt = this.topicEnd;
    const verdict = this.take(route, data, idAt + 2, end, targets.length, 1);
    if (verdict === 'refused') return false;
    client.conn.write(Buffer.from([PUBACK, 2, data[idAt]!, data[idAt + 1]!]));
    if (verdict === 'dropped') return true;
    let downgraded: Buffer | null = null;
    for (const target of targets) {
      if (target.qos === 0) {
        downgraded ??= withoutPacketId(data, body, idAt, end);
        if (!target.queue.deliverRaw(downgraded, route.topic, this.release)) this.waitingFor++;
        continue;
      }
      const subscriber = target.client as unknown as ClientInternals;
      const conn = subscriber.conn;
      if (subscriber.closed || conn.destroyed) continue;
      const frame = Buffer.allocUnsafe(end - at);
      data.copy(frame, 0, at, end);
      const id = subscriber._nextId;
      subscriber._nextId = id >= MAX_PACKET_ID ? 1 : id + 1;
      frame.writeUInt16BE(id, idAt - at);
      if (!conn.write(frame)) {
        this.waitingFor++;
        subscriber.waitForDrain(this.release);
      }
    }
    return true;
  }
}

/** The QoS 0 PUBLISH of a QoS 1 frame's message (variable header from `body`, packet id at `idAt`): no packet id, a length 2 shorter. */
function withoutPacketId(data: Buffer, body: number, idAt: number, end: number): Buffer {
  const remaining = end - body - 2;
  let lengthBytes = 1;
  for (let r = remaining >>> 7; r > 0; r >>>= 7) lengthBytes++;
  const frame = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  frame[0] = PLAIN_QOS0_PUBLISH;
  let o = 1;
  let r = remaining;
  do {
    const digit = r & 0x7f;
    r >>>= 7;
    frame[o++] = r > 0 ? digit | 0x80 : digit;
  } while (r > 0);
  data.copy(frame, o, body, idAt);
  data.copy(frame, o + idAt - body, idAt + 2, end);
  return frame;
}
