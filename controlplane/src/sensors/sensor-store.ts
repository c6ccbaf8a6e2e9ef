// Sensor readings forwarded by gateways (topics.sensor(sensorId, metric) in mesh-protocol), per org,
// and whether each sensor can be reached as it last said (topics.sensorAvailability), since when; a
// device another speaks for (`{login}:{name}`) is offline while that one is.

import type { HubDb } from '../storage/hub-db.ts';
import { FilteredQuery } from '../storage/filtered-query.ts';

export interface SensorReading {
  metric: string;
  value: number | null;
  /** The payload as sent when it was not a plain number (a JSON document or text). */
  raw?: unknown;
  unit?: string;
  /** Home Assistant's device class (temperature, power, switch, ...), when the sensor said. */
  deviceClass?: string;
  /** When the device measured it, when it said. */
  measuredAt?: string;
  /** When the gateway took it (the hub's arrival when the gateway did not say, or its clock is absurd). */
  time: string;
  /** When the hub got it: hours after `time` for what a gateway held through an outage. Absent on readings stored before it was kept. */
  receivedAt?: string;
}

/** A reading on its way in: the value and what the sensor said about it. */
export interface NewReading {
  sensorId: string;
  metric: string;
  value: number | null;
  raw: unknown;
  unit?: string | undefined;
  deviceClass?: string | undefined;
  measuredMs?: number | undefined;
  gatewayId: string;
  /** When the gateway took it (takenTimeMs in mesh-protocol): what the readings are ordered, charted and queried by. */
  timeMs: number;
  /** When the hub got it. */
  receivedMs: number;
}

/** Whether a sensor can be reached, as it (or its family's availability topic) last said. */
export interface SensorAvailability {
  state: 'online' | 'offline';
  /** Since when: the first report of this state after another (when the gateway took it). */
  since: string;
}

export interface SensorSummary {
  id: string;
  metrics: SensorReading[];
  lastSeen: string;
  /** Absent for a sensor that never said (no last will, no availability topic). */
  availability?: SensorAvailability;
}

interface ReadingRow {
  id: number;
  metric: string;
  value: number | null;
  raw: string | null;
  unit: string | null;
  device_class: string | null;
  measured_ms: number | null;
  time_ms: number;
  received_ms: number | null;
}

/** Columns hubs from before units, device classes and arrival times gain in place, per table. */
const ADDED_COLUMNS = [['unit', 'TEXT'], ['device_class', 'TEXT'], ['measured_ms', 'INTEGER'], ['received_ms', 'INTEGER']] as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sensor_readings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL,
  sensor_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value REAL,
  raw TEXT,
  gateway_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sensor_readings_sensor ON sensor_readings (org_id, sensor_id, metric, id);
-- Retention deletes the oldest by time (sensor-retention.ts).
CREATE INDEX IF NOT EXISTS sensor_readings_time ON sensor_readings (time_ms);
CREATE TABLE IF NOT EXISTS sensor_latest (
  org_id TEXT NOT NULL,
  sensor_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value REAL,
  raw TEXT,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (org_id, sensor_id, metric)
);
CREATE TABLE IF NOT EXISTS sensor_availability (
  org_id TEXT NOT NULL,
  sensor_id TEXT NOT NULL,
  online INTEGER NOT NULL,
  since_ms INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (org_id, sensor_id)
);`;

/**
 * How far apart two reports of one thing (a metric's readings, a sensor's availability) may be dated
 * and still be taken in the order they arrived. A held report is dated by its arrival less how long
 * the gateway held it, which is off by the time it spent on the way (more for one sent just after
 * another that arrived with it) and by rounding, so two taken within a few milliseconds can come
 * out dated the wrong way round; the gateway sends each sensor's reports in the order it took them.
 * Reports a second or more older than the last one are older indeed (held through an outage).
 */
export const ARRIVAL_ORDER_WITHIN_MS = 1000;

/** When a report dated `timeMs` is taken to be, given the last one of the same thing (dated `lastMs`). */
function inArrivalOrder(timeMs: number, lastMs: number | undefined): number {
  return lastMs !== undefined && timeMs < lastMs && lastMs - timeMs < ARRIVAL_ORDER_WITHIN_MS ? lastMs : timeMs;
}

/**
 * About the bytes one reading takes in the database file: its row and its entries in the two indexes
 * (org, sensor, metric and id; time and id), with SQLite's per-cell overhead. One expression for
 * rows stored (`prefix` '') and a new one (`prefix` '@', its statement parameters).
 */
function readingBytes(prefix: '' | '@'): string {
  const col = (name: string, param: string) => (prefix === '' ? name : `@${param}`);
  const len = (name: string, param: string) => `coalesce(length(CAST(${col(name, param)} AS BLOB)), 0)`;
  return `(64 + 2 * (${len('org_id', 'org')} + ${len('sensor_id', 'sensor')} + ${len('metric', 'metric')}) + ${len('gateway_id', 'gw')} + ${len('raw', 'raw')} + ${len('unit', 'unit')} + ${len('device_class', 'cls')})`;
}

/** At most this many of a metric's oldest readings make room for one new one; a reading larger than they are is not kept. */
const MAX_REPLACED = 64;

export class SensorStore {
  private readonly stmt;
  private readonly readingsQuery: FilteredQuery<ReadingRow>;

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    for (const table of ['sensor_readings', 'sensor_latest']) {
      const have = new Set(db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((c) => c.name));
      for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
    }
    this.readingsQuery = new FilteredQuery(db, 'SELECT id, metric, value, raw, unit, device_class, measured_ms, time_ms, received_ms FROM sensor_readings', 'ORDER BY id DESC');
    type Row = { org: string; sensor: string; metric: string; value: number | null; raw: string | null; unit: string | null; cls: string | null; measured: number | null; gw: string; t: number; received: number };
    this.stmt = {
      insert: db.prepare<Row>(
        `INSERT INTO sensor_readings (org_id, sensor_id, metric, value, raw, unit, device_class, measured_ms, gateway_id, time_ms, received_ms)
         VALUES (@org, @sensor, @metric, @value, @raw, @unit, @cls, @measured, @gw, @t, @received)`,
      ),
      latest: db.prepare<Row>(
        `INSERT INTO sensor_latest (org_id, sensor_id, metric, value, raw, unit, device_class, measured_ms, time_ms, received_ms) VALUES (@org, @sensor, @metric, @value, @raw, @unit, @cls, @measured, @t, @received)
         ON CONFLICT (org_id, sensor_id, metric) DO UPDATE SET value = excluded.value, raw = excluded.raw, unit = excluded.unit, device_class = excluded.device_class,
           measured_ms = excluded.measured_ms, time_ms = excluded.time_ms, received_ms = excluded.received_ms WHERE excluded.time_ms >= time_ms`,
      ),
      list: db.prepare<[string], Omit<ReadingRow, 'id'> & { sensor_id: string }>(
        'SELECT * FROM sensor_latest WHERE org_id = ? ORDER BY sensor_id, metric',
      ),
      latestTime: db.prepare<[string, string, string], { time_ms: number }>('SELECT time_ms FROM sensor_latest WHERE org_id = ? AND sensor_id = ? AND metric = ?'),
      exists: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM sensor_latest WHERE org_id = ? AND sensor_id = ?'),
      // Readings of its own or of a device it speaks for (a Zigbee2MQTT bridge `z2m` for `z2m:kitchen`).
      known: db.prepare<{ org: string; sensor: string }, number>(`SELECT 1 FROM sensor_latest WHERE org_id = @org AND (sensor_id = @sensor OR (sensor_id > @sensor || ':' AND sensor_id < @sensor || ';')) LIMIT 1`).pluck(),
      prune: db.prepare<[number, number], number>(`DELETE FROM sensor_readings WHERE id IN (SELECT id FROM sensor_readings WHERE time_ms < ? ORDER BY time_ms LIMIT ?) RETURNING ${readingBytes('')}`).pluck(),
      // Statements take a whole row's parameters (better-sqlite3 leaves out those a statement does not name).
      bytesOf: db.prepare<Row, number>(`SELECT ${readingBytes('@')}`).pluck(),
      oldest: db.prepare<Pick<Row, 'org' | 'sensor' | 'metric'>, { id: number; time_ms: number; bytes: number }>(
        `SELECT id, time_ms, ${readingBytes('')} AS bytes FROM sensor_readings WHERE org_id = @org AND sensor_id = @sensor AND metric = @metric ORDER BY id LIMIT ${MAX_REPLACED}`,
      ),
      deleteUpTo: db.prepare<Pick<Row, 'org' | 'sensor' | 'metric'> & { id: number }>('DELETE FROM sensor_readings WHERE org_id = @org AND sensor_id = @sensor AND metric = @metric AND id <= @id'),
      freePages: db.prepare<[], number>('PRAGMA freelist_count').pluck(),
      pageSize: db.prepare<[], number>('PRAGMA page_size').pluck(),
      availability: db.prepare<[string, string], AvailabilityRow>('SELECT sensor_id, online, since_ms, time_ms FROM sensor_availability WHERE org_id = ? AND sensor_id = ?'),
      availabilities: db.prepare<[string], AvailabilityRow>('SELECT sensor_id, online, since_ms, time_ms FROM sensor_availability WHERE org_id = ?'),
      setAvailability: db.prepare<{ org: string; sensor: string; online: number; since: number; t: number }>(
        `INSERT INTO sensor_availability (org_id, sensor_id, online, since_ms, time_ms) VALUES (@org, @sensor, @online, @since, @t)
         ON CONFLICT (org_id, sensor_id) DO UPDATE SET online = excluded.online, since_ms = excluded.since_ms, time_ms = excluded.time_ms`,
      ),
    };
  }

  /**
   * Stores a reading as its metric's latest value and in the readings charts show: `history`
   * 'add' (the default), or 'replace' (the data disk at its reserve) in place of as many of its
   * metric's oldest readings as take its room in the file (readingBytes), so the file's growth is
   * bounded (their pages come free for the new); with none such kept, or older than the oldest kept (held
   * through an outage), only the latest value is stored, if it is the newest. A metric with no latest value yet is not
   * stored at all when replacing or with `newMetrics` false (at the reserve: a firmware with a
   * counter in its metric names would fill the disk with their latest values).
   * Returns its id (null when it is not in the history), whether it was stored as the latest value, the
   * time it is dated (`timeMs`, or the metric's latest when it arrived a moment after it:
   * ARRIVAL_ORDER_WITHIN_MS), and how many older readings were deleted for it and their room.
   */
  add(orgId: string, r: NewReading, o: { history?: 'add' | 'replace'; newMetrics?: boolean } = {}): { id: number | null; latest: boolean; timeMs: number; replaced: number; freed: number } {
    const latestMs = this.stmt.latestTime.get(orgId, r.sensorId, r.metric)?.time_ms;
    const timeMs = inArrivalOrder(r.timeMs, latestMs);
    const row = this.row(orgId, r, timeMs);
    if ((o.history === 'replace' || o.newMetrics === false) && latestMs === undefined) return { id: null, latest: false, timeMs, replaced: 0, freed: 0 };
    const { deleted, freed } = o.history === 'replace' ? this.replaceOldest(row) : { deleted: 0, freed: 0 };
    const id = o.history === 'replace' && deleted === 0 ? null : Number(this.stmt.insert.run(row).lastInsertRowid);
    // Not when an older reading (held through an outage) comes after a newer one.
    const latest = this.stmt.latest.run(row).changes > 0;
    return { id, latest, timeMs, replaced: deleted, freed };
  }

  /** About the bytes a reading takes in the database file (readingBytes). */
  bytesOf(orgId: string, r: NewReading): number {
    return this.stmt.bytesOf.get(this.row(orgId, r, r.timeMs))!;
  }

  /** The bytes of the database file's free pages (left by deleted rows, reused before the file grows). */
  freeBytes(): number {
    return this.stmt.freePages.get()! * this.stmt.pageSize.get()!;
  }

  private row(orgId: string, r: NewReading, timeMs: number) {
    return {
      org: orgId,
      sensor: r.sensorId,
      metric: r.metric,
      value: r.value,
      raw: r.value === null ? JSON.stringify(r.raw ?? null) : null,
      unit: r.unit ?? null,
      cls: r.deviceClass ?? null,
      measured: r.measuredMs ?? null,
      gw: r.gatewayId,
      t: timeMs,
      received: r.receivedMs,
    };
  }

  /** Deletes the metric's oldest readings that take `row`'s room (at most MAX_REPLACED): how many (0 if they could not), and their room. */
  private replaceOldest(row: ReturnType<SensorStore['row']>): { deleted: number; freed: number } {
    const need = this.stmt.bytesOf.get(row)!;
    const oldest = this.stmt.oldest.all(row);
    if (oldest.length === 0 || row.t < oldest[0]!.time_ms) return { deleted: 0, freed: 0 };
    let freed = 0;
    for (const candidate of oldest) {
      freed += candidate.bytes;
      if (freed >= need) return { deleted: this.stmt.deleteUpTo.run({ ...row, id: candidate.id }).changes, freed };
    }
    return { deleted: 0, freed: 0 };
  }

  /**
   * The sensor said it is online or offline at `dated` (when the gateway took it). A report older
   * than the last one kept (held longer in some gateway's outbox) changes nothing; one dated a
   * moment before it is taken in the order it came (ARRIVAL_ORDER_WITHIN_MS). Returns the
   * availability when this changed it (a new state, since when), else null; `liveOnly` when it was
   * not stored: with `newSensors` false (at the data disk's reserve: a firmware counting up its
   * sensor ids would fill the disk with their rows), a sensor the hub has nothing of yet, no
   * availability and no readings of its own or of devices it speaks for.
   */
  setAvailability(orgId: string, sensorId: string, state: 'online' | 'offline', dated: number, o: { newSensors?: boolean } = {}): { changed: SensorAvailability | null; liveOnly: boolean } {
    const old = this.stmt.availability.get(orgId, sensorId);
    const timeMs = inArrivalOrder(dated, old?.time_ms);
    if (old && timeMs < old.time_ms) return { changed: null, liveOnly: false };
    const online = state === 'online' ? 1 : 0;
    const changed = !old || old.online !== online;
    const since = changed ? timeMs : old.since_ms;
    const liveOnly = old === undefined && o.newSensors === false && this.stmt.known.get({ org: orgId, sensor: sensorId }) === undefined;
    if (!liveOnly) this.stmt.setAvailability.run({ org: orgId, sensor: sensorId, online, since, t: timeMs });
    return { changed: changed ? { state, since: new Date(since).toISOString() } : null, liveOnly };
  }

  list(orgId: string): SensorSummary[] {
    const said = this.stmt.availabilities.all(orgId);
    const availability = new Map(said.map((a) => [a.sensor_id, availabilityOf(a)]));
    /** A device that speaks for others (`{login}:{name}`: Zigbee2MQTT's devices) cannot be reached while it cannot. */
    const known = (id: string): { availability?: SensorAvailability } => {
      const separator = id.indexOf(OWNER_SEPARATOR);
      const a = effectiveAvailability(availability.get(id), separator > 0 ? availability.get(id.slice(0, separator)) : undefined);
      return a ? { availability: a } : {};
    };
    const byId = new Map<string, SensorSummary>();
    for (const row of this.stmt.list.all(orgId)) {
      let s = byId.get(row.sensor_id);
      if (!s) byId.set(row.sensor_id, (s = { id: row.sensor_id, metrics: [], lastSeen: new Date(0).toISOString(), ...known(row.sensor_id) }));
      s.metrics.push(reading(row));
      const t = new Date(row.time_ms).toISOString();
      if (t > s.lastSeen) s.lastSeen = t;
    }
    // A device that has said it is online (or gone) but sent no reading yet (a Tasmota plug sends its
    // telemetry every 5 minutes) is listed too, with no metrics, last seen when it said so; not one
    // that speaks for listed devices (a Zigbee2MQTT bridge), whose state theirs already shows.
    const owners = new Set([...byId.keys()].filter((id) => id.indexOf(OWNER_SEPARATOR) > 0).map((id) => id.slice(0, id.indexOf(OWNER_SEPARATOR))));
    const silent = said.filter((a) => !byId.has(a.sensor_id) && !owners.has(a.sensor_id));
    for (const a of silent) byId.set(a.sensor_id, { id: a.sensor_id, metrics: [], lastSeen: new Date(a.time_ms).toISOString(), ...known(a.sensor_id) });
    const list = [...byId.values()];
    return silent.length === 0 ? list : list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Deletes at most `limit` readings dated before `cutoffMs`, the oldest first; returns how many, and
   * about the room they leave in the file (readingBytes).
   * The latest value of each metric (sensor_latest) stays, so a sensor silent for longer is still listed.
   */
  pruneReadings(cutoffMs: number, limit: number): { deleted: number; bytes: number } {
    const sizes = this.stmt.prune.all(cutoffMs, limit);
    return { deleted: sizes.length, bytes: sizes.reduce((sum, b) => sum + b, 0) };
  }

  exists(orgId: string, sensorId: string): boolean {
    return (this.stmt.exists.get(orgId, sensorId)?.n ?? 0) > 0;
  }

  /** Newest first; `before` is the previous page's last cursor. */
  readings(orgId: string, sensorId: string, q: { metric?: string; fromMs?: number; toMs?: number; limit: number; before?: number }): Array<SensorReading & { cursor: number }> {
    const filters = [['org_id = ?', orgId], ['sensor_id = ?', sensorId], ['metric = ?', q.metric], ['time_ms >= ?', q.fromMs], ['time_ms < ?', q.toMs], ['id < ?', q.before]] as const;
    return this.readingsQuery.all(filters, q.limit).map((row) => ({ ...reading(row), cursor: row.id }));
  }
}

interface AvailabilityRow {
  sensor_id: string;
  online: number;
  since_ms: number;
  time_ms: number;
}

/** Sensor ids `{login}:{name}` are devices the login speaks for (the gateway's sensor-ownership.ts). */
const OWNER_SEPARATOR = ':';

/** Offline when it or the device speaking for it is (since the earlier); else what it said, else what that device said. */
function effectiveAvailability(own: SensorAvailability | undefined, owner: SensorAvailability | undefined): SensorAvailability | undefined {
  const offline = [own, owner].filter((a): a is SensorAvailability => a?.state === 'offline');
  if (offline.length > 0) return { state: 'offline', since: offline.map((a) => a.since).sort()[0]! };
  return own ?? owner;
}

function availabilityOf(row: AvailabilityRow): SensorAvailability {
  return { state: row.online === 1 ? 'online' : 'offline', since: new Date(row.since_ms).toISOString() };
}

function reading(row: Omit<ReadingRow, 'id'>): SensorReading {
  const r: SensorReading = { metric: row.metric, value: row.value, time: new Date(row.time_ms).toISOString() };
  if (row.raw !== null) r.raw = JSON.parse(row.raw) as unknown;
  if (row.unit !== null) r.unit = row.unit;
  if (row.device_class !== null) r.deviceClass = row.device_class;
  if (row.measured_ms !== null) r.measuredAt = new Date(row.measured_ms).toISOString();
  if (row.received_ms !== null) r.receivedAt = new Date(row.received_ms).toISOString();
  return r;
}
