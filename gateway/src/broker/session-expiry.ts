// Persistent sessions that stay away too long expire, as mosquitto's persistent_client_expiration:
// firmware that makes up a client id at each boot leaves a session behind each time, and each kept
// its subscriptions and a queue (up to the caps, store-quotas.ts) on the SD card for ever.

import { splitKey } from './store-quotas.ts';

/** The broker's level database, as far as the away records need it (string keys and values). */
export interface AwayRecordStore {
  keys(range: { readonly gte: string; readonly lt: string }): AsyncIterable<string>;
  iterator(range: { readonly gte: string; readonly lt: string }): AsyncIterable<[string, string]>;
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
}

export interface SessionExpiryHooks {
  /** Whether `clientId` is connected, or a connection with it is being opened. */
  busy(clientId: string): boolean;
  /** Removes everything the store holds for the session (subscriptions, queue, inbound QoS 2) and its counts; `why`: away too long, or left behind by a login that needs the room. */
  expire(clientId: string, awayMs: number, why: 'away' | 'left_behind'): Promise<void>;
  /** An expiry or a record write failed (the store's disk); the session is tried again at the next sweep. */
  failed(err: unknown, clientId: string): void;
}

/**
 * When each persistent session left: `unibos-away:<encodeURIComponent(clientId)>` holds the time
 * (ms, the broker's clock), in the broker's own database so it outlives a restart; written when a
 * session disconnects, removed when it connects. The sessions are read from the store's keys (an
 * id with subscriptions, queued messages or inbound QoS 2 on disk); one with no record (stored
 * before this, or connected when the broker last stopped without a goodbye) counts as away from
 * the first sweep that finds it.
 */
const AWAY_PREFIX = 'unibos-away:';
const AWAY_RANGE = { gte: AWAY_PREFIX, lt: 'unibos-away;' } as const;
/** aedes-persistence-level's per-client key ranges (each `<prefix><encoded id>:...`). */
const SESSION_PREFIXES = ['subscriptions:', 'outgoing:', 'incoming:'] as const;
const rangeOf = (prefix: string) => ({ gte: prefix, lt: `${prefix.slice(0, -1)};` });
/**
 * Earlier than any real time this code runs at. A Pi has no real-time clock: until GPS or NTP sets
 * it, it reads 1970 (or the time it last saved), and when it is set it jumps. A record written
 * before the jump would look decades old after it, and a sweep before it would judge by a wrong
 * `now`: so no sweep runs on such a clock, and a record from one (or from the future: the clock
 * stepped back) counts as unknown, the session away from the sweep that finds it.
 */
const PLAUSIBLE_SINCE = Date.UTC(2024, 0, 1);

export class SessionExpiry {
  /** Record writes in flight per client id, one after another so a disconnect and a reconnect land in order. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly expiring = new Map<string, Promise<void>>();
  private sweeping: Promise<string[]> | null = null;
  /** During a sweep, the client ids whose records were written since it began: newer than what it read. */
  private writtenDuringSweep: Set<string> | null = null;

  /** `expiryMs` 0: sessions never expire (nothing is recorded either). */
  constructor(
    private readonly db: AwayRecordStore,
    readonly expiryMs: number,
    private readonly now: () => number,
    private readonly hooks: SessionExpiryHooks,
  ) {}

  /** A persistent session's client disconnected: away from now. */
  left(clientId: string): void {
    if (this.expiryMs > 0) this.write(clientId, this.now());
  }

  /** A client connected with this id: not away (a clean one discards the session anyway). */
  connected(clientId: string): void {
    if (this.expiryMs > 0) this.write(clientId, null);
  }

  /** The expiry of `clientId`'s session in progress, if one is: a CONNECT with the id waits for it. */
  inProgress(clientId: string): Promise<void> | undefined {
    return this.expiring.get(clientId);
  }

  /** Expires every session away longer than expiryMs; resolves with their client ids. One sweep at a time. */
  sweep(): Promise<string[]> {
    if (this.expiryMs <= 0) return Promise.resolve([]);
    this.sweeping ??= this.run().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /** When each recorded session left (ms), by client id; a session with no record is not in it. */
  async awaySince(): Promise<Map<string, number>> {
    await this.flush();
    const since = new Map<string, number>();
    for await (const [key, value] of this.db.iterator(AWAY_RANGE)) {
      let clientId: string;
      try {
        clientId = decodeURIComponent(key.slice(AWAY_PREFIX.length));
      } catch {
        continue;
      }
      const at = Number(value);
      if (Number.isFinite(at)) since.set(clientId, at);
    }
    return since;
  }

  /**
   * Ends `clientId`'s session now, whatever its age (its login needs the room), as a sweep ends one:
   * a CONNECT with the id waits for it. False if it is connected, connecting or already ending.
   */
  async expireNow(clientId: string): Promise<boolean> {
    if (this.hooks.busy(clientId) || this.expiring.has(clientId)) return false;
    const since = (await this.awaySince()).get(clientId);
    if (this.hooks.busy(clientId) || this.expiring.has(clientId)) return false;
    return this.end(clientId, since === undefined ? 0 : Math.max(0, this.now() - since), 'left_behind');
  }

  /**
   * Ends the session through the hooks and removes its record: true when it did. Marked as ending
   * before anything is awaited, so a CONNECT with the id from here on waits for it.
   */
  private async end(clientId: string, awayMs: number, why: 'away' | 'left_behind'): Promise<boolean> {
    const expiry = this.hooks.expire(clientId, awayMs, why).then(() => void this.write(clientId, null));
    this.expiring.set(clientId, expiry.catch(() => undefined));
    try {
      await expiry;
      return true;
    } catch (err) {
      this.hooks.failed(err, clientId);
      return false;
    } finally {
      this.expiring.delete(clientId);
    }
  }

  /** Waits for a sweep in progress and every record write. */
  async settle(): Promise<void> {
    await this.sweeping?.catch(() => undefined);
    await this.flush();
  }

  private async run(): Promise<string[]> {
    const now = this.now();
    if (now < PLAUSIBLE_SINCE) return [];
    this.writtenDuringSweep = new Set();
    try {
      return await this.expireAway(now);
    } finally {
      this.writtenDuringSweep = null;
    }
  }

  private async expireAway(now: number): Promise<string[]> {
    await this.flush();
    const sessions = new Set<string>();
    for (const prefix of SESSION_PREFIXES) {
      for await (const key of this.db.keys(rangeOf(prefix))) {
        const parsed = splitKey(key, prefix);
        if (parsed) sessions.add(parsed.clientId);
      }
    }
    const since = await this.awaySince();
    const expired: string[] = [];
    for (const clientId of sessions) {
      if (this.hooks.busy(clientId)) continue;
      // Connected (and perhaps gone again) while this sweep read the records: not away long.
      if (this.writtenDuringSweep?.has(clientId)) continue;
      const at = since.get(clientId);
      if (at === undefined || at < PLAUSIBLE_SINCE || at > now) {
        this.write(clientId, now);
        continue;
      }
      if (now - at <= this.expiryMs) continue;
      // busy() was false just now: end() marks it before awaiting anything.
      if (await this.end(clientId, now - at, 'away')) expired.push(clientId);
    }
    // Records of sessions the store no longer has (a clean connect ended them; nothing was stored).
    for (const clientId of since.keys()) {
      if (!sessions.has(clientId) && !this.hooks.busy(clientId) && !this.writtenDuringSweep?.has(clientId)) this.write(clientId, null);
    }
    await this.flush();
    return expired;
  }

  private write(clientId: string, at: number | null): Promise<void> {
    this.writtenDuringSweep?.add(clientId);
    const key = AWAY_PREFIX + encodeURIComponent(clientId);
    const op = () => (at === null ? this.db.del(key) : this.db.put(key, String(at)));
    const before = this.writes.get(clientId);
    const mine = before ? before.then(op, op) : op();
    this.writes.set(clientId, mine);
    const done = () => {
      if (this.writes.get(clientId) === mine) this.writes.delete(clientId);
    };
    mine.then(done, (err: unknown) => {
      done();
      this.hooks.failed(err, clientId);
    });
    return mine;
  }

  private async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes.values()]);
  }
}
