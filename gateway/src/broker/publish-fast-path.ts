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

import type { Client } from 'aedes';
import type { Qos0Queue } from './qos0-queue.ts';

/** What the broker does for a frame the fast path takes. */
export interface FastPathHost {
  /**
   * The message passed the ACL (allowed topic) and is about to go to `deliveries` subscribers:
   * count it and hand it to the gateway's own subscribers (`payload` is null when none matches).
   * An Error refuses it, as the aedes path's authorizePublish would, and the client is cut off.
   */
  take(client: Client, topic: string, payload: Buffer | null, deliveries: number): Error | null;
  /** Whether one of the gateway's own subscriptions matches `topic`. */
  takesInternally(topic: string): boolean;
  /**
   * Whether the broker would let `client` publish to `topic` (a valid topic name its ACL allows),
   * judged without counting or logging: a "no" goes to the aedes path, which refuses it properly.
   */
  allows(client: Client, topic: string): boolean;
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
  readonly closed: boolean;
  readonly connackSent: boolean;
  readonly version: number | null;
  readonly subscriptions: Record<string, { readonly func: Listener }>;
  readonly _parser: { parse(buf: Buffer): unknown; _queue: unknown[] | null; _list: { length: number }; _stateCounter: number };
  _parsingBatch: number;
  readonly _nextBatch: (err?: Error) => void;
  readonly _keepaliveInterval: number;
  readonly _keepaliveTimer: NodeJS.Timeout | null;
  emit(event: 'error', err: Error): boolean;
}

interface Route {
  readonly generation: number;
  readonly topic: string;
  /** The subscribers' queues, one per client; null when some listener is not one the fast path can serve. */
  readonly queues: readonly Qos0Queue[] | null;
  readonly internal: boolean;
}

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
    const route: Route = { generation: this.generation, topic, queues: this.queuesFor(topic), internal: this.host.takesInternally(topic) };
    this.routes.set(key, route);
    return route;
  }

  /** @internal */
  get fastHost(): FastPathHost {
    return this.host;
  }

  /** @internal */
  get payloadLimit(): number {
    return this.maxPayloadBytes;
  }

  private queuesFor(topic: string): Qos0Queue[] | null {
    const owners = this.ownersByListener();
    const queues: Qos0Queue[] = [];
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
      queues.push(queue);
    }
    return queues;
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
  /** Set by forward(): where the payload of the frame it routed starts. */
  private topicEnd = 0;
  private readonly release = (): void => {
    if (--this.waitingFor > 0) return;
    const client = this.client;
    client._parsingBatch -= HOLD_COUNT;
    if (this.taking) return;
    this.drain();
    // In place of the finished publish's done(): aedes reads the socket again unless its own packets are under way.
    if (this.waitingFor === 0 && client._parsingBatch <= 0) {
      client._parsingBatch = 1;
      client._nextBatch();
    }
  };

  constructor(
    private readonly path: PublishFastPath,
    private readonly client: ClientInternals,
  ) {
    const parser = client._parser;
    this.parse = parser.parse.bind(parser);
    parser.parse = (chunk: Buffer) => {
      if (this.passThrough) return this.parse(chunk);
      this.chunks.push(chunk);
      this.pendingBytes += chunk.length;
      if (!this.taking && this.waitingFor === 0 && this.pendingBytes >= this.needed) this.drain();
      return undefined;
    };
  }

  private drain(): void {
    this.taking = true;
    try {
      while (this.pendingBytes > 0 && this.pendingBytes >= this.needed && this.waitingFor === 0) {
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
        if (!arrived && this.waitingFor === 0) break;
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
        // Only the start of a packet: a QoS 0 PUBLISH waits here for the rest; anything else goes
        // to aedes' parser at once, which judges a header as soon as it sees it (garbage is refused
        // on its first bytes, not once as many bytes as it announces have come).
        if (data[at] !== PLAIN_QOS0_PUBLISH) {
          if (forAedes < 0) forAedes = at;
          at = length;
        } else if (complete) this.needed = end - at;
        break;
      }
      // After a frame for aedes, the rest of this read goes to aedes too (see ready()).
      const route = forAedes < 0 && minimal && data[at] === PLAIN_QOS0_PUBLISH && this.ready() ? this.routeOf(data, i, end) : null;
      if (route === null) {
        if (forAedes < 0) forAedes = at;
        at = end;
        continue;
      }
      took = true;
      if (!this.forward(route, data, at, end)) return length;
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

  /** The route of a QoS 0 PUBLISH (its variable header from `body`) if it can be forwarded as it is; null: aedes takes it. */
  private routeOf(data: Buffer, body: number, end: number): Route | null {
    if (end - body < 2) return null;
    const topicEnd = body + 2 + data.readUInt16BE(body);
    if (topicEnd > end || end - topicEnd > this.path.payloadLimit) return null;
    const key = data.toString('latin1', body + 2, topicEnd);
    if (!this.allowed.has(key) && !this.judge(data, body + 2, topicEnd, key)) return null;
    const route = this.path.routeFor(key);
    if (route.queues === null) return null;
    this.topicEnd = topicEnd;
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

  /** Sends the frame to every subscriber; false if the broker refused it (the client is then cut off). */
  private forward(route: Route, data: Buffer, at: number, end: number): boolean {
    const queues = route.queues!;
    const payload = route.internal ? Buffer.from(data.subarray(this.topicEnd, end)) : null;
    const refused = this.path.fastHost.take(this.client as unknown as Client, route.topic, payload, queues.length);
    if (refused) {
      this.passThrough = true;
      this.client.emit('error', refused);
      return false;
    }
    if (queues.length === 0) return true;
    const frame = data.subarray(at, end);
    for (const queue of queues) {
      if (!queue.deliverRaw(frame, route.topic, this.release)) this.waitingFor++;
    }
    return true;
  }
}
