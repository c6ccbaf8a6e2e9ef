// The durable queue of everything bound for the hub. A message counts as accepted only once
// add() has returned: by then it is committed to SQLite (the caller opens the database with WAL and
// synchronous = FULL). Rows leave only when the hub has acknowledged them, when the hub keeps
// refusing one (it moves to the dead-letter table with its reason; an urgent letter comes back by
// itself through retryDeadLetter, routine ones by a requeue), or, when the bounds are reached,
// routine rows first, the oldest of the bucket holding the most bytes (the mesh, one device, the
// gateway: one chatty sensor cannot push out other devices' readings or people's mesh texts, nor
// forged mesh addresses a sensor's) — always counted and reported, never silently.
// Two lanes: urgent rows (SOS, alerts, the gateway's own reports) are sent before any routine backlog.
// Within a lane, rows go by rank (mesh-protocol's urgencyOf, as on air: an SOS and its stages, then
// alerts, then the rest), oldest first within a rank.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import {
  HUB_UPLINK_LIMITS,
  MAX_HUB_ENVELOPE_FIELD_BYTES,
  URGENCY_ORDER,
  detectHubEnvelopeFormat,
  hubWouldRefuse,
  type HubEnvelopeFormat,
  type Urgency,
} from '@unibos/mesh-protocol';
import { UplinkError } from './uplink-error.ts';

export type Qos = 0 | 1 | 2;

/** Urgent rows go to the hub before any routine row, whatever their age. */
export type Lane = 'urgent' | 'routine';
export const LANES: readonly Lane[] = ['urgent', 'routine'];

export interface NewHubMessage {
  /** Who produced it, e.g. 'mesh:!1a2b3c4d' or 'sensor:abc'; order is kept per source. */
  source: string;
  topic: string;
  payload: Uint8Array | string;
  /** The QoS the message arrived with; the uplink always sends to the hub with QoS 1. */
  qos?: Qos;
  retain?: boolean;
  /**
   * The hub dedups on this id, so it must be unique across all gateways. Default: a random UUID.
   * Pass your own to make re-adding the same message idempotent (the second add is a no-op).
   */
  msgId?: string;
  /** 'auto' (default) wraps payloads that parse as JSON in the JSON envelope, the rest in the binary one. */
  format?: HubEnvelopeFormat | 'auto';
  /** Default 'routine'. */
  lane?: Lane;
  /**
   * How urgent it is (mesh-protocol's urgencyOf of the frame): within its lane a higher rank goes to
   * the hub first. Default: an alert's (1) in the urgent lane, 0 in the routine one.
   */
  urgency?: Urgency;
}

export interface HubMessage {
  seq: number;
  source: string;
  topic: string;
  payload: Buffer;
  qos: Qos;
  retain: boolean;
  msgId: string;
  format: HubEnvelopeFormat;
  createdMs: number;
  lane: Lane;
  /** Its place within the lane: a higher rank is sent first, then the oldest (NewHubMessage.urgency). */
  rank: Urgency;
  /** Connections to the hub that ended while this row was in flight. */
  attempts: number;
  /** Times an urgent row came back from the dead-letter table by itself (retryDeadLetter); 0 otherwise. */
  retries: number;
  /** For a dead letter put back in the queue: how long the gateway had held it before (ms), when known. */
  heldBeforeMs?: number;
  /** When it was queued (or put back), on the monotonic clock of the boot `bootId` (HubOutboxOptions.monotonic); absent on rows from before it was kept. */
  queuedMono?: number;
  bootId?: string;
}

export interface DeadLetter {
  seq: number;
  source: string;
  topic: string;
  msgId: string;
  lane: Lane;
  bytes: number;
  createdMs: number;
  failedMs: number;
  attempts: number;
  /** Automatic retries it has already had (urgent letters only; a manual requeue starts again at 0). */
  retries: number;
  reason: string;
}

export interface HubReceipt {
  seq: number;
  msgId: string;
  /** True when a message with this msgId was already queued; nothing new was written. */
  duplicate: boolean;
}

export interface OutboxDrop {
  reason: 'full';
  count: number;
  bytes: number;
  /** Urgent rows among them: only when the outbox held nothing routine to drop. */
  urgent: number;
}

export interface HubOutboxOptions {
  /** Default 100,000. */
  maxMessages?: number;
  /** Counted over payload, topic, source and id; SQLite's per-row overhead comes on top. Default 64 MiB. */
  maxBytes?: number;
  /** A single larger payload is refused at add(). Default: what the hub accepts once wrapped (HUB_UPLINK_LIMITS). */
  maxPayloadBytes?: number;
  /** Dead letters kept (oldest go first). Default 10,000. */
  maxDeadLetters?: number;
  logger?: Logger;
  /** The wall clock: `created_ms`, `failed_ms` and the drop-log interval. Default Date.now. */
  now?: () => number;
  /**
   * A monotonic clock (ms) for how long a row was held (heldMs): unlike the wall clock, not moved
   * when the gateway finds the time (NTP, GPS). It must be the machine's, counting from its boot, the
   * same in every process (so the CLI putting a letter back, or the gateway after a restart, reads
   * the time a row was queued): default CLOCK_MONOTONIC (process.hrtime).
   */
  monotonic?: () => number;
  /** Which boot `monotonic` counts from: default Linux's boot_id; unknown, a new id per process (holds known within it only). */
  bootId?: string;
  newId?: () => string;
}

export interface HubOutboxStats {
  added: number;
  acked: number;
  /** Re-adds of a msgId that was still queued. */
  duplicates: number;
  droppedFull: number;
  droppedFullBytes: number;
  /** Rows moved to the dead-letter table since this process started. */
  deadLettered: number;
  /** Urgent dead letters put back in the queue automatically (retryDeadLetter) since this process started. */
  deadLetterRetries: number;
}

interface Row {
  seq: number;
  source: string;
  topic: string;
  payload: Buffer;
  format: number;
  qos: number;
  retain: number;
  msg_id: string;
  created_ms: number;
  lane: number;
  rank: number;
  attempts: number;
  retries: number;
  held_before_ms: number | null;
  queued_mono: number | null;
  boot_id: string | null;
}

interface Prepared {
  source: string;
  topic: string;
  payload: Buffer;
  format: number;
  qos: Qos;
  retain: number;
  msgId: string;
  size: number;
  lane: number;
  rank: Urgency;
}

// Totals are kept by triggers in the same transaction as each insert/delete, so size and bytes
// are one-row reads that stay right even if another process (the CLI) deletes rows.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS hub_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    format INTEGER NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    msg_id TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    size INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS hub_dead_letter (
    seq INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    format INTEGER NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    msg_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    size INTEGER NOT NULL,
    lane INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    failed_ms INTEGER NOT NULL,
    reason TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS hub_outbox_totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL
  );
  INSERT OR IGNORE INTO hub_outbox_totals (id, messages, bytes)
    SELECT 0, COUNT(*), COALESCE(SUM(size), 0) FROM hub_outbox;
  CREATE TRIGGER IF NOT EXISTS hub_outbox_counted_in AFTER INSERT ON hub_outbox BEGIN
    UPDATE hub_outbox_totals SET messages = messages + 1, bytes = bytes + NEW.size WHERE id = 0;
  END;
  CREATE TRIGGER IF NOT EXISTS hub_outbox_counted_out AFTER DELETE ON hub_outbox BEGIN
    UPDATE hub_outbox_totals SET messages = messages - 1, bytes = bytes - OLD.size WHERE id = 0;
  END;
`;

// The fairness bucket a row counts in when the outbox is full: one a sender cannot multiply
// cheaply. Anyone with the mesh's public channel key can forge frames from any number of `from`
// addresses (each its own source), so all mesh traffic is one bucket; a sensor's rows count in
// its device's bucket (`sensor:{login}` for sensor:{login}[:{name}]: only a provisioned login
// makes a new one); anything else (the gateway's own reports) is its source.
const BUCKET_SQL = `CASE
    WHEN substr(source, 1, 5) = 'mesh:' THEN 'mesh'
    WHEN substr(source, 1, 7) = 'sensor:' AND instr(substr(source, 8), ':') > 0 THEN substr(source, 1, 6 + instr(substr(source, 8), ':'))
    ELSE source END`;

// What each bucket holds per lane, kept by triggers as the totals are, so the victim when the
// outbox is full is two indexed reads (the largest bucket, its oldest row), not a scan at every
// add. Made after the columns are added (it needs lane and bucket), and filled from the rows an
// older gateway left. The per-source totals of the gateway before (one row per forged mesh
// address) are dropped.
const BUCKET_TOTALS = `
  DROP TRIGGER IF EXISTS hub_outbox_source_in;
  DROP TRIGGER IF EXISTS hub_outbox_source_out;
  DROP TABLE IF EXISTS hub_outbox_source_totals;
  DROP INDEX IF EXISTS hub_outbox_lane_source_seq;
  CREATE TABLE IF NOT EXISTS hub_outbox_bucket_totals (
    bucket TEXT NOT NULL,
    lane INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (bucket, lane)
  );
  CREATE INDEX IF NOT EXISTS hub_outbox_bucket_totals_bytes ON hub_outbox_bucket_totals (lane, bytes);
  CREATE INDEX IF NOT EXISTS hub_outbox_lane_bucket_seq ON hub_outbox (lane, bucket, seq);
  CREATE TRIGGER IF NOT EXISTS hub_outbox_bucket_in AFTER INSERT ON hub_outbox BEGIN
    INSERT INTO hub_outbox_bucket_totals (bucket, lane, messages, bytes) VALUES (NEW.bucket, NEW.lane, 1, NEW.size)
      ON CONFLICT (bucket, lane) DO UPDATE SET messages = messages + 1, bytes = bytes + NEW.size;
  END;
  CREATE TRIGGER IF NOT EXISTS hub_outbox_bucket_out AFTER DELETE ON hub_outbox BEGIN
    UPDATE hub_outbox_bucket_totals SET messages = messages - 1, bytes = bytes - OLD.size WHERE bucket = OLD.bucket AND lane = OLD.lane;
    DELETE FROM hub_outbox_bucket_totals WHERE bucket = OLD.bucket AND lane = OLD.lane AND messages <= 0;
  END;
`;

// Columns added after the first release: an outbox written by an older gateway is upgraded in place.
const ADDED_COLUMNS: ReadonlyArray<[string, string, string]> = [
  ['hub_outbox', 'lane', 'INTEGER NOT NULL DEFAULT 1'],
  ['hub_outbox', 'attempts', 'INTEGER NOT NULL DEFAULT 0'],
  // The order letters were made in: not their seq (the urgent lane goes first, so a later letter
  // can have a lower seq), nor failed_ms (a Pi's clock may step back when it finds the time).
  ['hub_dead_letter', 'letter_no', 'INTEGER NOT NULL DEFAULT 0'],
  // Automatic retries of an urgent dead letter, carried from the letter to its requeued row and back,
  // so the delay before the next one keeps growing while the hub keeps refusing it.
  ['hub_outbox', 'retries', 'INTEGER NOT NULL DEFAULT 0'],
  ['hub_dead_letter', 'retries', 'INTEGER NOT NULL DEFAULT 0'],
  // How long a letter had been held when it failed, carried to its requeued row (held_before_ms),
  // so a reading put back (by the CLI, another process, or after a restart) is still dated when it was taken.
  ['hub_dead_letter', 'held_ms', 'INTEGER'],
  ['hub_outbox', 'held_before_ms', 'INTEGER'],
  // When a row was queued, and a letter failed, on the machine's monotonic clock, with the boot it
  // counts from: any process of the same boot (the CLI, the gateway after a restart) knows how long.
  ['hub_outbox', 'queued_mono', 'REAL'],
  ['hub_outbox', 'boot_id', 'TEXT'],
  ['hub_dead_letter', 'failed_mono', 'REAL'],
  ['hub_dead_letter', 'boot_id', 'TEXT'],
  // Computed from the source by SQLite itself, so every way a row comes in (add, requeue, retry,
  // another process) has it; virtual, so it costs no space (its index holds it).
  ['hub_outbox', 'bucket', `TEXT GENERATED ALWAYS AS (${BUCKET_SQL}) VIRTUAL`],
  // Its place within the lane (NewHubMessage.urgency), carried to its letter and back. Rows an older
  // gateway queued rank as alerts: among themselves they keep their order, and an SOS goes first.
  ['hub_outbox', 'rank', 'INTEGER NOT NULL DEFAULT 1'],
  ['hub_dead_letter', 'rank', 'INTEGER NOT NULL DEFAULT 1'],
];

const LONE_SURROGATE = /\p{Cs}/u;
const FORMAT_CODE: Record<HubEnvelopeFormat, number> = { binary: 0, json: 1 };
const LANE_CODE: Record<Lane, number> = { urgent: 0, routine: 1 };
const laneOf = (code: number): Lane => (code === LANE_CODE.urgent ? 'urgent' : 'routine');
const ROW_COLUMNS = 'seq, source, topic, payload, format, qos, retain, msg_id, created_ms, lane, rank, attempts, retries, held_before_ms, queued_mono, boot_id';
/** Urgent rows are all an alert's rank unless the producer says otherwise; routine ones the lowest. */
const DEFAULT_RANK: Record<Lane, Urgency> = { urgent: 1, routine: 0 };
const rankOf = (n: number): Urgency => URGENCY_ORDER.find((r) => r === n) ?? 1;
const DROP_LOG_INTERVAL_MS = 10_000;

export class HubOutbox {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly maxPayloadBytes: number;
  readonly maxDeadLetters: number;

  private readonly counters: HubOutboxStats = { added: 0, acked: 0, duplicates: 0, droppedFull: 0, droppedFullBytes: 0, deadLettered: 0, deadLetterRetries: 0 };
  private readonly addedListeners = new Set<() => void>();
  private readonly dropListeners = new Set<(drop: OutboxDrop) => void>();
  private readonly deadLetterListeners = new Set<(letter: DeadLetter) => void>();
  private readonly retryListeners = new Set<(letter: DeadLetter) => void>();
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly bootId: string;
  private readonly newId: () => string;
  private readonly logger: Logger | undefined;
  private unloggedDrops = 0;
  private lastDropLogMs = -Infinity;

  private readonly insertTx: (messages: Prepared[]) => { receipts: HubReceipt[]; drop: OutboxDrop | undefined; dropped: number[] };
  private readonly ackTx: (seqs: readonly number[]) => number;
  private readonly selectAfter: Database.Statement<[number, number], Row>;
  private readonly selectRankAfter: Database.Statement<[number, number, number, number], Row>;
  private readonly selectTotals: Database.Statement<[], { messages: number; bytes: number }>;
  private readonly deleteSeq: Database.Statement<[number]>;
  private readonly attemptTx: (seqs: readonly number[]) => void;
  private readonly deadLetterTx: (seq: number, reason: string) => DeadLetter | undefined;
  private readonly selectDeadLetters: Database.Statement<[number], DeadLetterRow>;
  private readonly countDeadLetters: Database.Statement<[], { n: number }>;
  private readonly countLanes: Database.Statement<[], { lane: number; n: number }>;
  private readonly anyUrgent: Database.Statement<[], { one: number }>;
  private readonly requeueTx: (seqs: readonly number[] | 'all') => number;
  private readonly retryTx: (seq: number) => { letter: DeadLetter; queued: boolean } | undefined;
  private readonly selectUrgentLetters: Database.Statement<[], { seq: number; retries: number }>;
  private readonly countUrgentLetters: Database.Statement<[], { n: number }>;
  private readonly dataVersion: Database.Statement<[], number>;
  private lastDataVersion: number;

  constructor(db: Database.Database, options: HubOutboxOptions = {}) {
    this.maxMessages = options.maxMessages ?? 100_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxPayloadBytes = Math.min(options.maxPayloadBytes ?? HUB_UPLINK_LIMITS.maxPublishBytes, this.maxBytes);
    this.maxDeadLetters = options.maxDeadLetters ?? 10_000;
    if (!Number.isSafeInteger(this.maxMessages) || this.maxMessages < 1) {
      throw new UplinkError('E_UPLINK_CONFIG', `maxMessages must be a positive integer, got ${options.maxMessages}`);
    }
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 1) {
      throw new UplinkError('E_UPLINK_CONFIG', `maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    this.now = options.now ?? Date.now;
    this.monotonic = options.monotonic ?? machineMonotonicMs;
    this.bootId = options.bootId ?? BOOT_ID;
    this.newId = options.newId ?? randomUUID;
    this.logger = options.logger;

    db.transaction(() => {
      db.exec(SCHEMA);
      for (const [table, name, type] of ADDED_COLUMNS) {
        const have = (db.prepare(`PRAGMA table_xinfo(${table})`).all() as Array<{ name: string }>).some((c) => c.name === name);
        if (!have) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
      }
      // The uplink's order: by lane, rank, then seq (the index on (lane, seq) of an older gateway goes).
      db.exec('DROP INDEX IF EXISTS hub_outbox_lane_seq');
      db.exec('CREATE INDEX IF NOT EXISTS hub_outbox_lane_rank_seq ON hub_outbox (lane, rank, seq)');
      // The urgent victim when the outbox is full: its bucket's lowest rank first (an ack before an SOS).
      db.exec(`CREATE INDEX IF NOT EXISTS hub_outbox_urgent_victims ON hub_outbox (bucket, rank, seq) WHERE lane = ${LANE_CODE.urgent}`);
      const fresh = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hub_outbox_bucket_totals'").get() === undefined;
      db.exec(BUCKET_TOTALS);
      if (fresh) db.exec('INSERT INTO hub_outbox_bucket_totals (bucket, lane, messages, bytes) SELECT bucket, lane, COUNT(*), SUM(size) FROM hub_outbox GROUP BY bucket, lane');
      db.exec('CREATE INDEX IF NOT EXISTS hub_dead_letter_order ON hub_dead_letter (letter_no, seq)');
    })();

    const insert = db.prepare<[string, string, Buffer, number, number, number, string, number, number, number, number, number, string], { seq: number }>(
      `INSERT INTO hub_outbox (source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane, rank, queued_mono, boot_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (msg_id) DO NOTHING RETURNING seq`,
    );
    const seqOf = db.prepare<[string], { seq: number }>('SELECT seq FROM hub_outbox WHERE msg_id = ?');
    // When the bound is reached: routine rows first, urgent ones only when nothing else is left; in
    // a lane, the oldest row of the bucket holding the most bytes (in the urgent lane, of its lowest
    // rank: acks and answers go before an SOS). Among buckets holding as much, the
    // one with the oldest row: buckets are few (the mesh, the gateway, one per device login), so the
    // tie is settled over a handful, each an indexed read.
    const largestBucket = db.prepare<{ lane: number }, { bucket: string }>(
      `SELECT bucket, (SELECT MIN(seq) FROM hub_outbox o WHERE o.lane = t.lane AND o.bucket = t.bucket) AS first
       FROM hub_outbox_bucket_totals t
       WHERE lane = @lane AND bytes = (SELECT MAX(bytes) FROM hub_outbox_bucket_totals WHERE lane = @lane)
       ORDER BY first LIMIT 1`,
    );
    const oldestOf = db.prepare<[number, string], { seq: number; size: number }>('SELECT seq, size FROM hub_outbox WHERE lane = ? AND bucket = ? ORDER BY seq LIMIT 1');
    const leastUrgentOf = db.prepare<[string], { seq: number; size: number }>(
      `SELECT seq, size FROM hub_outbox INDEXED BY hub_outbox_urgent_victims WHERE lane = ${LANE_CODE.urgent} AND bucket = ? ORDER BY rank, seq LIMIT 1`,
    );
    const nextVictim = (): { seq: number; size: number; lane: number } | undefined => {
      for (const lane of [LANE_CODE.routine, LANE_CODE.urgent]) {
        const top = largestBucket.get({ lane });
        const row = top && (lane === LANE_CODE.urgent ? leastUrgentOf.get(top.bucket) : oldestOf.get(lane, top.bucket));
        if (row) return { ...row, lane };
      }
      return undefined;
    };
    this.deleteSeq = db.prepare<[number]>('DELETE FROM hub_outbox WHERE seq = ?');
    this.selectAfter = db.prepare<[number, number], Row>(`SELECT ${ROW_COLUMNS} FROM hub_outbox WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.selectRankAfter = db.prepare<[number, number, number, number], Row>(
      `SELECT ${ROW_COLUMNS} FROM hub_outbox WHERE lane = ? AND rank = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    const bumpAttempts = db.prepare<[number]>('UPDATE hub_outbox SET attempts = attempts + 1 WHERE seq = ?');
    this.attemptTx = db.transaction((seqs: readonly number[]) => {
      for (const seq of seqs) bumpAttempts.run(seq);
    });
    // held_ms: how long it was held until it failed (see HELD_SO_FAR), when known.
    const moveToDeadLetter = db.prepare<{ failed: number; reason: string; seq: number; mono: number; boot: string }, DeadLetterRow>(
      `INSERT INTO hub_dead_letter (seq, source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane, rank, attempts, retries, failed_ms, reason, letter_no, held_ms, failed_mono, boot_id)
       SELECT seq, source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane, rank, attempts, retries, @failed, @reason,
         (SELECT COALESCE(MAX(letter_no), 0) + 1 FROM hub_dead_letter), ${heldSoFar('queued_mono', 'held_before_ms')}, @mono, @boot
       FROM hub_outbox WHERE seq = @seq
       RETURNING ${DEAD_LETTER_COLUMNS}`,
    );
    const trimDeadLetters = db.prepare<[number]>('DELETE FROM hub_dead_letter WHERE seq NOT IN (SELECT seq FROM hub_dead_letter ORDER BY letter_no DESC, seq DESC LIMIT ?)');
    this.deadLetterTx = db.transaction((seq: number, reason: string) => {
      const row = moveToDeadLetter.get({ failed: this.now(), reason, seq, mono: this.monotonic(), boot: this.bootId });
      if (!row) return undefined;
      this.deleteSeq.run(seq);
      trimDeadLetters.run(this.maxDeadLetters);
      return deadLetterOf(row);
    });
    this.selectDeadLetters = db.prepare<[number], DeadLetterRow>(`SELECT ${DEAD_LETTER_COLUMNS} FROM hub_dead_letter ORDER BY letter_no DESC, seq DESC LIMIT ?`);
    this.countDeadLetters = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM hub_dead_letter');
    this.countLanes = db.prepare<[], { lane: number; n: number }>('SELECT lane, COUNT(*) AS n FROM hub_outbox GROUP BY lane');
    this.anyUrgent = db.prepare<[], { one: number }>(`SELECT 1 AS one FROM hub_outbox WHERE lane = ${LANE_CODE.urgent} LIMIT 1`);
    // A requeued letter keeps its id (the hub still drops it if it had it after all) and gets a new
    // seq, so a connection already past its old place in the queue still sends it.
    // It goes back with how long it has been held so far, its time as a letter included when known.
    const requeueOne = db.prepare<{ seq: number; mono: number; boot: string }>(
      `INSERT INTO hub_outbox (source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane, rank, attempts, held_before_ms, queued_mono, boot_id)
       SELECT source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane, rank, 0, ${heldSoFar('failed_mono', 'held_ms')}, @mono, @boot
       FROM hub_dead_letter WHERE seq = @seq
       ON CONFLICT DO NOTHING`,
    );
    const deleteLetter = db.prepare<[number]>('DELETE FROM hub_dead_letter WHERE seq = ?');
    // An automatic retry goes back with one strike, so the uplink sends it alone (nothing else can be
    // blamed for a hang-up) and dead-letters it again at the first hang-up while it is alone in flight.
    const selectLetter = db.prepare<[number], DeadLetterRow>(`SELECT ${DEAD_LETTER_COLUMNS} FROM hub_dead_letter WHERE seq = ? AND lane = ${LANE_CODE.urgent}`);
    const retryOne = db.prepare<{ seq: number; mono: number; boot: string }>(
      `INSERT INTO hub_outbox (source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane, rank, attempts, retries, held_before_ms, queued_mono, boot_id)
       SELECT source, topic, payload, format, qos, retain, msg_id, created_ms, size, lane, rank, 1, retries + 1, ${heldSoFar('failed_mono', 'held_ms')}, @mono, @boot
       FROM hub_dead_letter WHERE seq = @seq
       ON CONFLICT DO NOTHING`,
    );
    const letterBody = db.prepare<[number], { source: string; topic: string; payload: Buffer; format: number; msg_id: string }>('SELECT source, topic, payload, format, msg_id FROM hub_dead_letter WHERE seq = ?');
    this.retryTx = db.transaction((seq: number) => {
      const row = selectLetter.get(seq);
      if (!row) return undefined;
      // One that breaks a limit the door enforces (queued by an older gateway) stays: no retry could change that.
      const body = letterBody.get(seq)!;
      if (hubWouldRefuse({ source: body.source, topic: body.topic, payload: body.payload, msgId: body.msg_id, format: body.format === FORMAT_CODE.json ? 'json' : 'binary' })) return undefined;
      // Not inserted: the producer queued the same id again meanwhile, so the message is in the queue anyway.
      const queued = retryOne.run({ seq, mono: this.monotonic(), boot: this.bootId }).changes === 1;
      deleteLetter.run(seq);
      return { letter: deadLetterOf(row), queued };
    });
    this.selectUrgentLetters = db.prepare<[], { seq: number; retries: number }>(
      `SELECT seq, retries FROM hub_dead_letter WHERE lane = ${LANE_CODE.urgent} ORDER BY letter_no, seq`,
    );
    this.countUrgentLetters = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM hub_dead_letter WHERE lane = ${LANE_CODE.urgent}`);
    const allLetters = db.prepare<[], { seq: number }>('SELECT seq FROM hub_dead_letter ORDER BY seq');
    this.requeueTx = db.transaction((seqs: readonly number[] | 'all') => {
      const mono = this.monotonic();
      let n = 0;
      for (const seq of seqs === 'all' ? allLetters.all().map((r) => r.seq) : seqs) {
        n += requeueOne.run({ seq, mono, boot: this.bootId }).changes;
        deleteLetter.run(seq);
      }
      return n;
    });
    // SQLite's data_version changes when another connection (the CLI's requeue) commits, never for ours.
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.lastDataVersion = this.dataVersion.get()!;
    this.selectTotals = db.prepare<[], { messages: number; bytes: number }>(
      'SELECT messages, bytes FROM hub_outbox_totals WHERE id = 0',
    );

    this.insertTx = db.transaction((messages: Prepared[]) => {
      const createdMs = this.now();
      const mono = this.monotonic();
      const receipts: HubReceipt[] = [];
      for (const m of messages) {
        const row = insert.get(m.source, m.topic, m.payload, m.format, m.qos, m.retain, m.msgId, createdMs, m.size, m.lane, m.rank, mono, this.bootId);
        if (row) receipts.push({ seq: row.seq, msgId: m.msgId, duplicate: false });
        else receipts.push({ seq: seqOf.get(m.msgId)!.seq, msgId: m.msgId, duplicate: true });
      }
      // Insert first, then trim: within one transaction that is the same as making room first,
      // and it also covers a burst larger than the whole bound (its own oldest go too).
      const totals = this.selectTotals.get()!;
      const excessCount = totals.messages - this.maxMessages;
      const excessBytes = totals.bytes - this.maxBytes;
      if (excessCount <= 0 && excessBytes <= 0) return { receipts, drop: undefined, dropped: [] };
      const victims: number[] = [];
      let bytes = 0;
      let urgent = 0;
      while (victims.length < excessCount || bytes < excessBytes) {
        // One at a time: each drop may change which source holds the most.
        const r = nextVictim();
        if (!r) break;
        this.deleteSeq.run(r.seq);
        victims.push(r.seq);
        bytes += r.size;
        if (r.lane === LANE_CODE.urgent) urgent++;
      }
      return { receipts, drop: { reason: 'full' as const, count: victims.length, bytes, urgent }, dropped: victims };
    });

    this.ackTx = db.transaction((seqs: readonly number[]) => {
      let removed = 0;
      for (const seq of seqs) removed += this.deleteSeq.run(seq).changes;
      return removed;
    });
  }

  /** Durably queues one message; when it returns, the message is accepted (committed). */
  add(message: NewHubMessage): HubReceipt {
    return this.addMany([message])[0]!;
  }

  /** Durably queues a burst in one transaction: all are accepted, or (on a validation error) none. */
  addMany(messages: readonly NewHubMessage[]): HubReceipt[] {
    if (messages.length === 0) return [];
    return this.commit(messages.map((m) => this.prepare(m)));
  }

  /**
   * Durably queues a burst in one transaction, leaving out alone each message it refuses (one the
   * hub would refuse, too large, invalid): in its place the UplinkError, the rest accepted. A
   * device message's readings: one bad value must not cost the good ones.
   */
  addEach(messages: readonly NewHubMessage[]): Array<HubReceipt | UplinkError> {
    const prepared: Prepared[] = [];
    const outcome = messages.map((m): UplinkError | number => {
      try {
        return prepared.push(this.prepare(m)) - 1;
      } catch (err) {
        if (err instanceof UplinkError) return err;
        throw err;
      }
    });
    const receipts = prepared.length > 0 ? this.commit(prepared) : [];
    return outcome.map((o) => (typeof o === 'number' ? receipts[o]! : o));
  }

  private commit(prepared: Prepared[]): HubReceipt[] {
    const { receipts, drop } = this.insertTx(prepared);
    for (const r of receipts) {
      if (r.duplicate) this.counters.duplicates++;
      else this.counters.added++;
    }
    if (drop) this.reportDrop(drop);
    if (receipts.some((r) => !r.duplicate)) for (const fn of this.addedListeners) fn();
    return receipts;
  }

  /**
   * Up to `limit` queued messages with seq > afterSeq, oldest first: of one lane's rank (the uplink
   * sends lane by lane, rank by rank, highest first), or of the whole outbox.
   */
  peek(limit: number, afterSeq = 0, place?: { lane: Lane; rank: Urgency }): HubMessage[] {
    const rows = place === undefined ? this.selectAfter.all(afterSeq, limit) : this.selectRankAfter.all(LANE_CODE[place.lane], place.rank, afterSeq, limit);
    return rows.map(messageOf);
  }

  /**
   * How long this row has been held (ms): since it was queued, on the machine's monotonic clock (so
   * a wall-clock step, a Pi finding the time, is not counted; any process of the boot reads it, the
   * gateway after a restart too), plus, for a dead letter put back, how long it had been held before
   * (its time as a letter included when it was put back in the same boot). Across a reboot the
   * monotonic clock starts again: only the hold before is known then. Undefined when nothing is
   * known (a row queued before a reboot, or by an older gateway).
   */
  heldMs(message: Pick<HubMessage, 'heldBeforeMs' | 'queuedMono' | 'bootId'>): number | undefined {
    if (message.queuedMono === undefined || message.bootId !== this.bootId) return message.heldBeforeMs;
    return Math.max(0, Math.round((message.heldBeforeMs ?? 0) + this.monotonic() - message.queuedMono));
  }

  /**
   * Whether heldMs is the whole time the row was held: queued on this boot and never a dead letter
   * (a letter's time may span a reboot). Otherwise it is a lower bound, which the hub must not take
   * for the time the frame was heard.
   */
  heldIsExact(message: Pick<HubMessage, 'heldBeforeMs' | 'queuedMono' | 'bootId'>): boolean {
    return message.heldBeforeMs === undefined && message.queuedMono !== undefined && message.bootId === this.bootId;
  }

  /** These rows were in flight when a working connection to the hub ended: one more strike each. */
  recordAttempts(seqs: readonly number[]): void {
    if (seqs.length > 0) this.attemptTx(seqs);
  }

  /**
   * The hub will not take this row: it leaves the queue for the dead-letter table, with the reason,
   * counted, logged and reported to the listeners. False if the row was already gone.
   */
  deadLetter(seq: number, reason: string): boolean {
    const letter = this.deadLetterTx(seq, reason);
    if (!letter) return false;
    this.counters.deadLettered++;
    this.logger?.error({ seq, msgId: letter.msgId, topic: letter.topic, source: letter.source, attempts: letter.attempts, reason }, 'hub refuses a message: moved to the dead-letter table');
    for (const fn of this.deadLetterListeners) fn(letter);
    return true;
  }

  /** The most recently dead-lettered first (payloads stay in the table: `unibos gateway outbox` shows them). */
  deadLetters(limit = 100): DeadLetter[] {
    return this.selectDeadLetters.all(limit).map(deadLetterOf);
  }

  get deadLetterCount(): number {
    return this.countDeadLetters.get()!.n;
  }

  /** Puts dead letters back in the queue (after the hub was fixed); returns how many went back. */
  requeueDeadLetters(seqs: readonly number[] | 'all'): number {
    const n = this.requeueTx(seqs);
    if (n > 0) for (const fn of this.addedListeners) fn();
    return n;
  }

  /**
   * Puts one urgent dead letter back in the queue by itself (same id, new seq, one strike, one more
   * retry): the uplink's automatic retry. Undefined if there is no such urgent letter (requeued or
   * trimmed meanwhile); routine letters only go back by requeueDeadLetters().
   */
  retryDeadLetter(seq: number): DeadLetter | undefined {
    const done = this.retryTx(seq);
    if (!done) return undefined;
    const { letter } = done;
    this.counters.deadLetterRetries++;
    this.logger?.warn(
      { seq, msgId: letter.msgId, topic: letter.topic, source: letter.source, retry: letter.retries + 1, queued: done.queued },
      'urgent dead letter back in the queue: retrying it automatically',
    );
    for (const fn of this.addedListeners) fn();
    for (const fn of this.retryListeners) fn(letter);
    return letter;
  }

  /** Called after an urgent dead letter went back in the queue by itself (retryDeadLetter), with the letter as it was. */
  onDeadLetterRetried(fn: (letter: DeadLetter) => void): () => void {
    this.retryListeners.add(fn);
    return () => this.retryListeners.delete(fn);
  }

  /** The urgent dead letters (the ones retried automatically), oldest letter first, with the retries each had. */
  urgentDeadLetters(): Array<{ seq: number; retries: number }> {
    return this.selectUrgentLetters.all();
  }

  /** Urgent dead letters in the table: each waits for its automatic retry. */
  get urgentDeadLetterCount(): number {
    return this.countUrgentLetters.get()!.n;
  }

  onDeadLetter(fn: (letter: DeadLetter) => void): () => void {
    this.deadLetterListeners.add(fn);
    return () => this.deadLetterListeners.delete(fn);
  }

  /** The hub has it: the row leaves. False if it was already gone (acked before, or dropped). */
  ack(seq: number): boolean {
    return this.ackMany([seq]) === 1;
  }

  /** Removes several acknowledged rows in one transaction; returns how many were still there. */
  ackMany(seqs: readonly number[]): number {
    if (seqs.length === 0) return 0;
    const removed = this.ackTx(seqs);
    this.counters.acked += removed;
    return removed;
  }

  get size(): number {
    return this.selectTotals.get()!.messages;
  }

  get bytes(): number {
    return this.selectTotals.get()!.bytes;
  }

  /** Whether an urgent message (SOS, alert) is waiting: one indexed lookup, cheap enough for every add. */
  hasUrgent(): boolean {
    return this.anyUrgent.get() !== undefined;
  }

  /** Queued messages per lane. */
  get depthByLane(): Record<Lane, number> {
    const depth: Record<Lane, number> = { urgent: 0, routine: 0 };
    for (const r of this.countLanes.all()) depth[laneOf(r.lane)] = r.n;
    return depth;
  }

  /** Counters since this process opened the outbox. */
  get stats(): Readonly<HubOutboxStats> {
    return { ...this.counters };
  }

  /**
   * Whether another connection to the database (another process: the CLI putting letters back)
   * committed since the last call: its add and requeue listeners fire in that process, not here.
   * One pragma read, cheap enough to poll every few seconds.
   */
  changedElsewhere(): boolean {
    const version = this.dataVersion.get()!;
    if (version === this.lastDataVersion) return false;
    this.lastDataVersion = version;
    return true;
  }

  /** Called after every add that queued something new (after its commit). */
  onAdded(fn: () => void): () => void {
    this.addedListeners.add(fn);
    return () => this.addedListeners.delete(fn);
  }

  /** Called after the bound forced old messages out (after the commit). */
  onDrop(fn: (drop: OutboxDrop) => void): () => void {
    this.dropListeners.add(fn);
    return () => this.dropListeners.delete(fn);
  }

  private prepare(m: NewHubMessage): Prepared {
    const invalid = (why: string): never => {
      throw new UplinkError('E_OUTBOX_INVALID', why);
    };
    // Lone surrogates would be replaced on the way to UTF-8, so the hub would see another string.
    const text = (v: unknown): v is string => typeof v === 'string' && !LONE_SURROGATE.test(v);
    const sourceBytes = text(m.source) ? Buffer.byteLength(m.source, 'utf8') : 0;
    if (sourceBytes === 0 || sourceBytes > MAX_HUB_ENVELOPE_FIELD_BYTES) invalid('source must be text of 1..255 bytes');
    // A topic the hub broker refuses would make it drop the connection on every resend and wedge
    // the queue behind it, so such messages are refused here instead.
    const topicBytes = text(m.topic) ? Buffer.byteLength(m.topic, 'utf8') : 0;
    if (topicBytes === 0 || topicBytes > 65_535 || /[+#\u0000]/.test(m.topic) || m.topic.startsWith('$')) {
      invalid(`topic ${JSON.stringify(m.topic)} is not a publishable MQTT topic`);
    }
    const msgId = m.msgId ?? this.newId();
    const idBytes = text(msgId) ? Buffer.byteLength(msgId, 'utf8') : 0;
    if (idBytes === 0 || idBytes > MAX_HUB_ENVELOPE_FIELD_BYTES) invalid('msgId must be text of 1..255 bytes');
    const qos = m.qos ?? 1;
    if (qos !== 0 && qos !== 1 && qos !== 2) invalid(`qos must be 0, 1 or 2, got ${String(qos)}`);
    const payload =
      typeof m.payload === 'string'
        ? Buffer.from(m.payload, 'utf8')
        : m.payload instanceof Uint8Array
          ? Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength)
          : invalid('payload must be a string or bytes');
    if (payload.length > this.maxPayloadBytes) {
      throw new UplinkError('E_OUTBOX_TOO_LARGE', `payload of ${payload.length} bytes exceeds ${this.maxPayloadBytes}`);
    }
    const size = payload.length + topicBytes + sourceBytes + idBytes;
    if (size > this.maxBytes) {
      throw new UplinkError('E_OUTBOX_TOO_LARGE', `message of ${size} bytes exceeds the outbox bound of ${this.maxBytes}`);
    }
    const wanted = m.format ?? 'auto';
    const detected = detectHubEnvelopeFormat(payload);
    if (wanted === 'json' && detected !== 'json') invalid('format json requested but the payload is not UTF-8 JSON');
    const format: HubEnvelopeFormat = wanted === 'auto' ? detected : wanted;
    const lane = m.lane ?? 'routine';
    if (LANE_CODE[lane] === undefined) invalid(`lane must be urgent or routine, got ${String(lane)}`);
    const rank = m.urgency ?? DEFAULT_RANK[lane];
    if (!URGENCY_ORDER.includes(rank)) invalid(`urgency must be one of ${URGENCY_ORDER.join(', ')}, got ${String(rank)}`);
    // What the hub would refuse would come back on every reconnect: refused here, before it is accepted.
    const refusal = hubWouldRefuse({ topic: m.topic, payload, msgId, source: m.source, format });
    if (refusal) {
      throw new UplinkError(refusal.reason === 'too_large' ? 'E_OUTBOX_TOO_LARGE' : 'E_HUB_WOULD_REFUSE', refusal.detail, { refusal: refusal.reason });
    }
    return {
      source: m.source,
      topic: m.topic,
      payload,
      format: FORMAT_CODE[format],
      qos,
      retain: m.retain ? 1 : 0,
      msgId,
      size,
      lane: LANE_CODE[lane],
      rank,
    };
  }

  private reportDrop(drop: OutboxDrop): void {
    this.counters.droppedFull += drop.count;
    this.counters.droppedFullBytes += drop.bytes;
    this.unloggedDrops += drop.count;
    // While the hub is away and the outbox is full, every add drops one: log a summary at most
    // every few seconds; the counter and the listeners see every drop.
    const now = this.now();
    if (now - this.lastDropLogMs >= DROP_LOG_INTERVAL_MS) {
      this.logger?.warn(
        { dropped: this.unloggedDrops, droppedTotal: this.counters.droppedFull, urgent: drop.urgent, maxMessages: this.maxMessages, maxBytes: this.maxBytes },
        'hub outbox full: dropped the oldest routine messages of the buckets holding the most',
      );
      this.unloggedDrops = 0;
      this.lastDropLogMs = now;
    }
    for (const fn of this.dropListeners) fn(drop);
  }
}

interface DeadLetterRow {
  seq: number;
  source: string;
  topic: string;
  msg_id: string;
  lane: number;
  size: number;
  created_ms: number;
  failed_ms: number;
  attempts: number;
  retries: number;
  reason: string;
}

const DEAD_LETTER_COLUMNS = 'seq, source, topic, msg_id, lane, size, created_ms, failed_ms, attempts, retries, reason';

function messageOf(r: Row): HubMessage {
  return {
    seq: r.seq,
    source: r.source,
    topic: r.topic,
    payload: r.payload,
    qos: r.qos as Qos,
    retain: r.retain === 1,
    msgId: r.msg_id,
    format: r.format === FORMAT_CODE.json ? 'json' : 'binary',
    createdMs: r.created_ms,
    lane: laneOf(r.lane),
    rank: rankOf(r.rank),
    attempts: r.attempts,
    retries: r.retries,
    ...(r.held_before_ms !== null ? { heldBeforeMs: r.held_before_ms } : {}),
    ...(r.queued_mono !== null && r.boot_id !== null ? { queuedMono: r.queued_mono, bootId: r.boot_id } : {}),
  };
}

function deadLetterOf(r: DeadLetterRow): DeadLetter {
  return {
    seq: r.seq,
    source: r.source,
    topic: r.topic,
    msgId: r.msg_id,
    lane: laneOf(r.lane),
    bytes: r.size,
    createdMs: r.created_ms,
    failedMs: r.failed_ms,
    attempts: r.attempts,
    retries: r.retries,
    reason: r.reason,
  };
}

/** Milliseconds on CLOCK_MONOTONIC: since the machine booted, the same in every process of the boot. */
function machineMonotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The boot CLOCK_MONOTONIC counts from (Linux); elsewhere an id of this process alone. */
const BOOT_ID: string = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || randomUUID();
  } catch {
    return randomUUID();
  }
})();

/**
 * SQL for how long a row has been held so far, from `since` (its queueing, or its failure, on the
 * monotonic clock) and `before` (held before that): `before` plus the time since when `since` is of
 * this boot (@boot, with @mono now), else `before` alone (NULL when that is unknown too).
 */
function heldSoFar(since: string, before: string): string {
  return `CASE WHEN ${since} IS NOT NULL AND boot_id = @boot THEN CAST(ROUND(COALESCE(${before}, 0) + MAX(0, @mono - ${since})) AS INTEGER) ELSE ${before} END`;
}
