// Sensor readings forwarded by gateways (topics.sensor(sensorId, metric) in mesh-protocol), per org.

import type { HubDb } from '../storage/hub-db.ts';
import { FilteredQuery } from '../storage/filtered-query.ts';

export interface SensorReading {
  metric: string;
  value: number | null;
  /** The payload as sent when it was not a plain number (a JSON document or text). */
  raw?: unknown;
  time: string;
}

export interface SensorSummary {
  id: string;
  metrics: SensorReading[];
  lastSeen: string;
}

interface ReadingRow {
  id: number;
  metric: string;
  value: number | null;
  raw: string | null;
  time_ms: number;
}

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
CREATE TABLE IF NOT EXISTS sensor_latest (
  org_id TEXT NOT NULL,
  sensor_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value REAL,
  raw TEXT,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (org_id, sensor_id, metric)
);`;

export class SensorStore {
  private readonly stmt;
  private readonly readingsQuery: FilteredQuery<ReadingRow>;

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    this.readingsQuery = new FilteredQuery(db, 'SELECT id, metric, value, raw, time_ms FROM sensor_readings', 'ORDER BY id DESC');
    this.stmt = {
      insert: db.prepare<[string, string, string, number | null, string | null, string, number]>(
        'INSERT INTO sensor_readings (org_id, sensor_id, metric, value, raw, gateway_id, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      latest: db.prepare<[string, string, string, number | null, string | null, number]>(
        `INSERT INTO sensor_latest (org_id, sensor_id, metric, value, raw, time_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (org_id, sensor_id, metric) DO UPDATE SET value = excluded.value, raw = excluded.raw, time_ms = excluded.time_ms WHERE excluded.time_ms >= time_ms`,
      ),
      list: db.prepare<[string], { sensor_id: string; metric: string; value: number | null; raw: string | null; time_ms: number }>(
        'SELECT * FROM sensor_latest WHERE org_id = ? ORDER BY sensor_id, metric',
      ),
      exists: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM sensor_latest WHERE org_id = ? AND sensor_id = ?'),
    };
  }

  add(orgId: string, r: { sensorId: string; metric: string; value: number | null; raw: unknown; gatewayId: string; timeMs: number }): number {
    const raw = r.value === null ? JSON.stringify(r.raw ?? null) : null;
    const id = Number(this.stmt.insert.run(orgId, r.sensorId, r.metric, r.value, raw, r.gatewayId, r.timeMs).lastInsertRowid);
    this.stmt.latest.run(orgId, r.sensorId, r.metric, r.value, raw, r.timeMs);
    return id;
  }

  list(orgId: string): SensorSummary[] {
    const byId = new Map<string, SensorSummary>();
    for (const row of this.stmt.list.all(orgId)) {
      const s = byId.get(row.sensor_id) ?? { id: row.sensor_id, metrics: [], lastSeen: new Date(0).toISOString() };
      s.metrics.push(reading(row));
      const t = new Date(row.time_ms).toISOString();
      if (t > s.lastSeen) s.lastSeen = t;
      byId.set(row.sensor_id, s);
    }
    return [...byId.values()];
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

function reading(row: { metric: string; value: number | null; raw: string | null; time_ms: number }): SensorReading {
  const r: SensorReading = { metric: row.metric, value: row.value, time: new Date(row.time_ms).toISOString() };
  if (row.raw !== null) r.raw = JSON.parse(row.raw) as unknown;
  return r;
}
