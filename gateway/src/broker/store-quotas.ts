// Caps on what one login can make the broker keep on disk: retained topics per login, and messages
// queued for a persistent session while it is away. Without them one sensor (or firmware putting a
// counter in its topic) filled the SD card, and the gateway's outbox and SOS path with it. The
// queue caps hold for connected sessions too: a connected client that never acknowledges is closed.

/** Why a message was not kept: the stats count by these. */
export type StoreCapReason = 'retained_topics' | 'offline_queue' | 'offline_queue_login' | 'inbound_qos2' | 'session_expired' | 'disk_reserve';

export const STORE_CAP_REASONS: readonly StoreCapReason[] = ['retained_topics', 'offline_queue', 'offline_queue_login', 'inbound_qos2', 'session_expired', 'disk_reserve'];

/** A retained publish admitted by RetainedQuota.admit, on its way to the store. */
export interface RetainedAdmission {
  readonly login: string;
  readonly topic: string;
  /** A new topic for the login: it holds a place of its count until the store has answered. */
  readonly reserved: boolean;
}

/**
 * The retained topics of each login (a device id, or `anonymous` for all anonymous clients), with
 * the topic's last retained publisher as its owner. A login at its limit may still replace or clear
 * the retained messages it has; a retained publish of it to a topic it has none on is not kept (it
 * is still delivered live), as EMQX does beyond max_retained_messages. The gateway's own retained
 * messages (login null) belong to nobody and are bounded where they are made (the bridge's bound).
 * The counts are what the store holds: a topic changes hands (or is freed) when the store has
 * written it, not when the publish was admitted, so a publish never stored (a QoS 2 publish refused
 * after its admission, a failed write) leaves every count and owner as they were. Between the two,
 * an admitted publish to a new topic holds a place of its login's count, so a burst is judged
 * against the ones before it, not against the store's pace.
 */
export class RetainedQuota {
  private readonly owners = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  /** Per login, its new topics admitted and not yet stored, with how many publishes to each are on their way. */
  private readonly pending = new Map<string, Map<string, number>>();
  /** The admission of the publish aedes is about to store (see offer). */
  private offered: RetainedAdmission | null = null;
  /** Per topic, its last write not yet done: the next waits for it (see wrap). */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(readonly limit: number) {}

  /** Records a retained message found in the store at start-up. */
  load(topic: string, login: string): void {
    this.setOwner(topic, login);
  }

  /**
   * Whether `login`'s retained publish (with a payload) to `topic` may be kept: its admission, to
   * hand to offer(), or null if the login is at its limit. The gateway's own (login null) and
   * clears (empty payloads) are always kept and need none: the store's write decides what they free.
   */
  admit(login: string, topic: string): RetainedAdmission | null {
    if (this.owners.get(topic) === login) return { login, topic, reserved: false };
    const pending = this.pending.get(login);
    if (pending?.has(topic)) {
      pending.set(topic, pending.get(topic)! + 1);
      return { login, topic, reserved: true };
    }
    if (this.limit > 0 && this.heldBy(login) >= this.limit) return null;
    if (pending) pending.set(topic, 1);
    else this.pending.set(login, new Map([[topic, 1]]));
    return { login, topic, reserved: true };
  }

  /**
   * Hands `admission` to the store write the caller starts next, synchronously (aedes stores a
   * retained message first thing in publish()); withdraw() after it takes back one not taken.
   */
  offer(admission: RetainedAdmission | null): void {
    this.withdraw();
    this.offered = admission;
  }

  /** Releases an offered admission that no store write took (aedes refused the publish before storing). */
  withdraw(): void {
    const left = this.offered;
    this.offered = null;
    if (left) this.unreserve(left);
  }

  /** Retained topics `login` has now (stored). */
  countOf(login: string): number {
    return this.counts.get(login) ?? 0;
  }

  /**
   * Wraps the persistence's storeRetained (in place) to apply what it wrote to the counts, and to
   * write each topic's retained messages one after the other: LevelDB's writes may finish in any
   * order, and a clear issued after a replacement (the broker clears a value the disk had no room
   * to replace) must not land before it.
   */
  wrap(persistence: object): void {
    const store = persistence as Record<string, unknown>;
    const storeRetained = store.storeRetained as ((packet: { topic: string; payload: Buffer | string }) => Promise<unknown>) | undefined;
    if (!storeRetained) return;
    store.storeRetained = (packet: { topic: string; payload: Buffer | string }) => {
      const admission = this.offered?.topic === packet.topic ? this.offered : null;
      if (admission) this.offered = null;
      const clears = packet.payload.length === 0;
      const run = (): Promise<unknown> => {
        try {
          return storeRetained(packet);
        } catch (err) {
          return Promise.reject(err);
        }
      };
      const before = this.writing.get(packet.topic);
      const write = before ? before.then(run, run) : run();
      this.writing.set(packet.topic, write);
      const settled = () => {
        if (this.writing.get(packet.topic) === write) this.writing.delete(packet.topic);
      };
      write.then(settled, settled);
      return write.then(
        (result) => {
          // Stored: the topic is its publisher's now, or nobody's (a clear, the gateway's own).
          if (!clears && admission) this.setOwner(packet.topic, admission.login);
          else this.free(packet.topic);
          if (admission) this.unreserve(admission);
          return result;
        },
        (err: unknown) => {
          if (admission) this.unreserve(admission);
          throw err;
        },
      );
    };
  }

  /** Stored topics and new ones on their way (one whose first write is done, the next still going, counted once). */
  private heldBy(login: string): number {
    const stored = this.counts.get(login) ?? 0;
    const pending = this.pending.get(login);
    if (!pending) return stored;
    // Exactly only near the limit: a walk over at most `limit` topics, and rarely.
    if (this.limit > 0 && stored + pending.size < this.limit) return stored + pending.size;
    let held = stored;
    for (const topic of pending.keys()) if (this.owners.get(topic) !== login) held++;
    return held;
  }

  /** Whether a write of the topic's retained message is under way. */
  writingTo(topic: string): boolean {
    return this.writing.has(topic);
  }

  /** Takes back an admission no store write will take (the publish is delivered live only). */
  withdrawAdmission(admission: RetainedAdmission): void {
    this.unreserve(admission);
  }

  private unreserve(admission: RetainedAdmission): void {
    if (!admission.reserved) return;
    const pending = this.pending.get(admission.login);
    const n = pending?.get(admission.topic);
    if (!pending || n === undefined) return;
    if (n > 1) pending.set(admission.topic, n - 1);
    else {
      pending.delete(admission.topic);
      if (pending.size === 0) this.pending.delete(admission.login);
    }
  }

  private setOwner(topic: string, login: string): void {
    const before = this.owners.get(topic);
    if (before === login) return;
    if (before !== undefined) this.release(topic, before);
    this.owners.set(topic, login);
    this.counts.set(login, (this.counts.get(login) ?? 0) + 1);
  }

  private free(topic: string): void {
    const owner = this.owners.get(topic);
    if (owner !== undefined) this.release(topic, owner);
  }

  private release(topic: string, owner: string): void {
    this.owners.delete(topic);
    const n = (this.counts.get(owner) ?? 1) - 1;
    if (n > 0) this.counts.set(owner, n);
    else this.counts.delete(owner);
  }
}

/** A persistent subscription as aedes hands it to outgoingEnqueue. */
interface QueuedFor {
  readonly clientId: string;
}

type Enqueue = (sub: QueuedFor, packet: unknown) => Promise<unknown>;
type EnqueueCombi = (subs: QueuedFor[], packet: unknown) => Promise<unknown>;
type ClientArg = { readonly id: string; readonly clean?: boolean } | null | undefined;

export interface QueueBoundHooks {
  /**
   * Whether the session is connected now. Its queue is then its in-flight window (sent, not yet
   * acknowledged), held to the session's cap by its own count only: siblings' queues do not cut it
   * (see take). aedes closes a connected client whose delivery has no queue entry ('no such packet').
   */
  online(clientId: string): boolean;
  /** The login a client id belongs to (a device's ids are its id or `<id>:<suffix>`; anonymous clients share one). */
  loginOf(clientId: string): string;
  /**
   * Whether a message of `topic` and `payload` may go on disk for the session, the filesystem
   * keeping its reserve (DiskReserve): for one that is away, the reserve; for a connected one (a
   * delivery on its way), a lower floor.
   */
  room(topic: string, payload: Buffer | string, online: boolean): boolean;
  /** The store rewrote a queued message (aedes' outgoingUpdate, at each send: twice, by packet id and in order): charged to the disk's estimate. */
  rewritten(topic: string, payload: Buffer | string): void;
  /** A message not queued for `clientId`: its session's queue was full, or its login's, or the disk is at its reserve. */
  dropped(clientId: string, topic: string, full: { readonly session: number; readonly login: number; readonly by: 'session' | 'login' | 'disk'; readonly online: boolean }): void;
}

export interface QueueLimits {
  /** Messages per session; 0: none. */
  readonly perSession: number;
  /** Messages over all the sessions of one login (it may open any number, `<id>:<suffix>`); 0: none. */
  readonly perLogin: number;
}

/**
 * Bounds the queues on disk of persistent sessions: beyond `perSession` messages for the session,
 * or `perLogin` over all of its login's sessions, a new one is not queued for it
 * (mosquitto's max_queued_messages: the newest are dropped). Newest, not oldest: what is kept is
 * the unbroken run since the session left, and the oldest entries may be deliveries already sent
 * (with a packet id the client still holds); and the store's order is not the order of arrival
 * across restarts (its keys start with each run's broker id), so "oldest" is not even known
 * without reading every entry.
 * A connected session's entries are its deliveries not yet acknowledged: a client that reads and
 * never sends PUBACK made one per message, without end. It is held to `perSession` (and to `perLogin`
 * by its own count, if that is lower) but not to its login's total, so a client that acknowledges is
 * not cut off for the sessions its login left behind (firmware that made up a new id at each boot);
 * at the cap its next delivery is not queued and aedes, finding no entry for it, closes the
 * connection; once away, the ordinary caps hold. The login's total is kept for connected sessions
 * another way: a persistent session of a login whose total is full evicts, as it connects, the
 * sessions its login left behind, away longest first, until its own cap fits (the broker's
 * evictLeftBehind), so firmware that makes up an id at each boot, crash-looping, cannot pile up a
 * session's cap per boot.
 * The count per client id comes from the store's keys at start-up (`initial`) and then follows
 * every enqueue and clear, so it stays right across restarts.
 */
export class OfflineQueueBound {
  /** Per client id: messages on disk, and the login they are charged to (fixed while any are, so a device added or removed meanwhile cannot skew the totals). */
  private readonly queued = new Map<string, { n: number; readonly login: string }>();
  private readonly perLogin = new Map<string, number>();
  /** Clears in progress per client id and packet id, so a second PUBACK for an id waits for the first. */
  private readonly clearing = new Map<string, Promise<unknown>>();

  constructor(readonly limits: QueueLimits, initial: ReadonlyMap<string, number>, private readonly hooks: QueueBoundHooks) {
    for (const [clientId, n] of initial) {
      const login = hooks.loginOf(clientId);
      this.queued.set(clientId, { n, login });
      this.perLogin.set(login, (this.perLogin.get(login) ?? 0) + n);
    }
  }

  /** Messages on disk for `clientId`'s session (queued, or sent and not yet acknowledged). */
  countOf(clientId: string): number {
    return this.queued.get(clientId)?.n ?? 0;
  }

  /** Messages on disk over all the sessions of `login`. */
  loginCountOf(login: string): number {
    return this.perLogin.get(login) ?? 0;
  }

  /** The login a client id's messages are charged to. */
  loginOf(clientId: string): string {
    return this.queued.get(clientId)?.login ?? this.hooks.loginOf(clientId);
  }

  /** The client ids of `login` with messages on disk. */
  sessionsOf(login: string): string[] {
    return [...this.queued].filter(([, e]) => e.login === login && e.n > 0).map(([clientId]) => clientId);
  }

  /** Wraps the persistence's enqueue and clear operations (in place) to keep and apply the counts. */
  wrap(persistence: object): void {
    const store = persistence as Record<string, unknown>;
    const enqueue = store.outgoingEnqueue as Enqueue | undefined;
    const combi = store.outgoingEnqueueCombi as EnqueueCombi | undefined;
    const clear = store.outgoingClearMessageId as ((client: ClientArg, packet: unknown) => Promise<unknown>) | undefined;
    const cleanIncoming = store.cleanIncoming as ((client: ClientArg) => Promise<unknown>) | undefined;
    const update = store.outgoingUpdate as ((client: ClientArg, packet: unknown) => Promise<unknown>) | undefined;
    if (update) {
      store.outgoingUpdate = async (client: ClientArg, packet: unknown) => {
        const result = await update(client, packet);
        // Charged once written: an update of a delivery never queued fails ('no such packet') and writes nothing.
        if (client && !client.clean) this.hooks.rewritten(topicOf(packet), payloadOf(packet));
        return result;
      };
    }
    if (enqueue) {
      store.outgoingEnqueue = async (sub: QueuedFor, packet: unknown) => {
        if (!this.take(sub, packet)) return;
        return enqueue(sub, packet).catch((err: unknown) => {
          this.untake(sub.clientId, 1);
          throw err;
        });
      };
    }
    if (combi) {
      store.outgoingEnqueueCombi = async (subs: QueuedFor[] | null | undefined, packet: unknown) => {
        if (!subs || subs.length === 0) return combi(subs ?? [], packet);
        // One entry per client, however many of its subscriptions match (the store's key is the message's).
        const seen = new Set<string>();
        const kept = subs.filter((sub) => !seen.has(sub.clientId) && seen.add(sub.clientId) && this.take(sub, packet));
        if (kept.length === 0) return packet;
        return combi(kept, packet).catch((err: unknown) => {
          for (const sub of kept) this.untake(sub.clientId, 1);
          throw err;
        });
      };
    }
    if (clear) {
      store.outgoingClearMessageId = (client: ClientArg, packet: unknown) => {
        // A clean session's deliveries live in memory (session-aware-persistence.ts), never queued on disk.
        if (!client || client.clean) return clear(client, packet);
        // The store returns the entry it removed, or nothing; but two clears of one id at once (two
        // PUBACKs in one read) both find it before either deletes it. One at a time per id, the
        // second finds nothing and is not counted.
        const key = `${client.id}\u0000${String((packet as { messageId?: unknown } | null)?.messageId)}`;
        const run = async () => {
          const cleared = await clear(client, packet);
          if (cleared) this.untake(client.id, 1);
          return cleared;
        };
        const before = this.clearing.get(key);
        const mine = before ? before.then(run, run) : run();
        this.clearing.set(key, mine);
        const done = () => {
          if (this.clearing.get(key) === mine) this.clearing.delete(key);
        };
        mine.then(done, done);
        return mine;
      };
    }
    if (cleanIncoming) {
      store.cleanIncoming = async (client: ClientArg) => {
        await cleanIncoming(client);
        // A clean session discards the id's earlier queue (session-aware-persistence.ts).
        if (client) this.untake(client.id, this.countOf(client.id));
      };
    }
  }

  private take(sub: QueuedFor, packet: unknown): boolean {
    const entry = this.queued.get(sub.clientId);
    const login = entry?.login ?? this.hooks.loginOf(sub.clientId);
    const session = entry?.n ?? 0;
    const total = this.perLogin.get(login) ?? 0;
    const online = this.hooks.online(sub.clientId);
    // Connected: its own unacknowledged deliveries only (see the class comment).
    const loginFull = this.limits.perLogin > 0 && (online ? session : total) >= this.limits.perLogin;
    const topic = topicOf(packet);
    const by = this.limits.perSession > 0 && session >= this.limits.perSession ? 'session' : loginFull ? 'login' : !this.hooks.room(topic, payloadOf(packet), online) ? 'disk' : null;
    if (by !== null) {
      this.hooks.dropped(sub.clientId, topic, { session, login: total, by, online });
      return false;
    }
    if (entry) entry.n++;
    else this.queued.set(sub.clientId, { n: 1, login });
    this.perLogin.set(login, total + 1);
    return true;
  }

  private untake(clientId: string, count: number): void {
    const entry = this.queued.get(clientId);
    if (!entry || count <= 0) return;
    const n = Math.min(count, entry.n);
    entry.n -= n;
    if (entry.n === 0) this.queued.delete(clientId);
    const total = (this.perLogin.get(entry.login) ?? n) - n;
    if (total > 0) this.perLogin.set(entry.login, total);
    else this.perLogin.delete(entry.login);
  }
}

function topicOf(packet: unknown): string {
  return (packet as { topic?: string } | null)?.topic ?? '';
}

function payloadOf(packet: unknown): Buffer | string {
  return (packet as { payload?: Buffer | string } | null)?.payload ?? '';
}

export interface InboundBoundHooks {
  /** A QoS 2 message refused for `clientId`, which has `stored` awaiting PUBREL: the error to close its connection with. */
  refused(clientId: string, stored: number): Error;
  /** Whether a QoS 2 message of a persistent session may go on disk (DiskReserve); else the error to close its connection with. */
  room(clientId: string, topic: string, payload: Buffer | string): Error | null;
}

/**
 * Bounds the inbound QoS 2 messages a persistent session keeps on disk awaiting PUBREL. aedes
 * bounds them per connection (maxInflightInbound) but starts each connection from zero, while the
 * stored ones stay: a client that reconnects and sends new packet ids without ever releasing the
 * old ones grew the store by a window per connection, up to 65,535 messages per client id. Here the
 * window counts what is stored for the id: a new packet id beyond `limit` closes the connection
 * (MQTT 3.1.1 has no way to say no to a QoS 2 PUBLISH), and a client that releases what it sent
 * (PUBREL, as it must after reconnecting) goes on. Clean sessions keep this in memory and end it
 * with the connection (session-aware-persistence.ts), so they are not counted.
 */
export class InboundQos2Bound {
  private readonly stored: Map<string, Set<number>>;

  constructor(readonly limit: number, initial: ReadonlyMap<string, Set<number>>, private readonly hooks: InboundBoundHooks) {
    this.stored = new Map(initial);
  }

  countOf(clientId: string): number {
    return this.stored.get(clientId)?.size ?? 0;
  }

  wrap(persistence: object): void {
    const store = persistence as Record<string, unknown>;
    type Op = (client: ClientArg, packet?: { messageId?: number }) => Promise<unknown>;
    const put = store.incomingStorePacket as Op | undefined;
    const del = store.incomingDelPacket as Op | undefined;
    const cleanIncoming = store.cleanIncoming as Op | undefined;
    if (put) {
      store.incomingStorePacket = async (client: ClientArg, packet?: { messageId?: number }) => {
        const id = packet?.messageId;
        if (!client || client.clean || id === undefined) return put(client, packet);
        let ids = this.stored.get(client.id);
        if (!ids?.has(id)) {
          if (this.limit > 0 && (ids?.size ?? 0) >= this.limit) throw this.hooks.refused(client.id, ids?.size ?? 0);
          const noRoom = this.hooks.room(client.id, topicOf(packet), payloadOf(packet));
          if (noRoom) throw noRoom;
          if (!ids) this.stored.set(client.id, (ids = new Set()));
          ids.add(id);
        }
        return put(client, packet);
      };
    }
    if (del) {
      store.incomingDelPacket = async (client: ClientArg, packet?: { messageId?: number }) => {
        const result = await del(client, packet);
        if (client && !client.clean && packet?.messageId !== undefined) this.forget(client.id, packet.messageId);
        return result;
      };
    }
    if (cleanIncoming) {
      store.cleanIncoming = async (client: ClientArg) => {
        await cleanIncoming(client);
        if (client) this.stored.delete(client.id);
      };
    }
  }

  private forget(clientId: string, messageId: number): void {
    const ids = this.stored.get(clientId);
    if (!ids) return;
    ids.delete(messageId);
    if (ids.size === 0) this.stored.delete(clientId);
  }
}

/**
 * The packet ids stored per client id under aedes-persistence-level's
 * `incoming:<encodeURIComponent(clientId)>:<zero-padded id>` keys (inbound QoS 2 awaiting PUBREL).
 */
export async function storedInbound(keys: AsyncIterable<string>): Promise<Map<string, Set<number>>> {
  const ids = new Map<string, Set<number>>();
  for await (const key of keys) {
    const parsed = splitKey(key, INCOMING_PREFIX);
    if (!parsed) continue;
    const id = Number(parsed.rest);
    if (!Number.isInteger(id)) continue;
    let set = ids.get(parsed.clientId);
    if (!set) ids.set(parsed.clientId, (set = new Set()));
    set.add(id);
  }
  return ids;
}

export const INCOMING_PREFIX = 'incoming:';
export const INCOMING_RANGE = { gte: INCOMING_PREFIX, lt: 'incoming;' } as const;

/** `<prefix><encoded client id>:<rest>` into its client id and the rest; null if it is not one. */
export function splitKey(key: string, prefix: string): { clientId: string; rest: string } | null {
  if (!key.startsWith(prefix)) return null;
  const end = key.indexOf(':', prefix.length);
  if (end < 0) return null;
  try {
    return { clientId: decodeURIComponent(key.slice(prefix.length, end)), rest: key.slice(end + 1) };
  } catch {
    return null;
  }
}

/**
 * The number of queued messages per client id in aedes-persistence-level's keys
 * (`outgoing:<encodeURIComponent(clientId)>:<brokerId>:<counter>`), read once at start-up: keys
 * only, the payloads stay on disk.
 */
export async function countQueued(keys: AsyncIterable<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const key of keys) {
    const parsed = splitKey(key, OUTGOING_PREFIX);
    if (parsed) counts.set(parsed.clientId, (counts.get(parsed.clientId) ?? 0) + 1);
  }
  return counts;
}

export const OUTGOING_PREFIX = 'outgoing:';
/** The key range holding every queued message (';' is the byte after ':'). */
export const OUTGOING_RANGE = { gte: OUTGOING_PREFIX, lt: 'outgoing;' } as const;

/**
 * Rate-limits a warning per key: the first, then at most one per `periodMs`, each with how many
 * happened since the last one logged, so a flood costs a counter, not a log line each. Keys name
 * clients, whose ids a client chooses: at most `maxKeys` are remembered (past it, those whose
 * period is over go first, then the oldest), so new client ids cannot grow it without end; a key
 * forgotten only loses the "N since" of its next line.
 */
export class WarnOncePer {
  private readonly last = new Map<string, { at: number; since: number }>();

  constructor(private readonly periodMs: number, private readonly now: () => number = Date.now, private readonly maxKeys = 4096) {}

  /** Counts one occurrence for `key`; returns how many to report if it is time to log, else null. */
  hit(key: string): number | null {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry && t - entry.at < this.periodMs) {
      entry.since++;
      return null;
    }
    const n = (entry?.since ?? 0) + 1;
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) this.makeRoom(t);
    this.last.set(key, { at: t, since: 0 });
    return n;
  }

  /** How many keys are remembered (for tests). */
  get size(): number {
    return this.last.size;
  }

  private makeRoom(t: number): void {
    for (const [key, entry] of this.last) if (t - entry.at >= this.periodMs) this.last.delete(key);
    // Keys are in the order they last logged: the first is the oldest.
    for (const key of this.last.keys()) {
      if (this.last.size < this.maxKeys) break;
      this.last.delete(key);
    }
  }
}
