// Device switches the hub asked gateways to set, and how far each got (SwitchStatus):
//   sent -> queued (the gateway took it) -> confirmed | unconfirmed | refused (final).
// Kept apart from downlink_messages: a switch goes to a gateway's device, not into the mesh.

import type { NodeIdText, SwitchCommand, SwitchStatus } from '@unibos/mesh-protocol';
import type { HubDb } from '../storage/hub-db.ts';

export type { SwitchCommand, SwitchStatus } from '@unibos/mesh-protocol';

/** Statuses after which a gateway's report changes nothing. */
export const FINAL_SWITCH_STATUSES: ReadonlySet<SwitchStatus> = new Set(['confirmed', 'unconfirmed', 'refused']);

interface SwitchRow {
  ref: string;
  org_id: string;
  gateway_id: string;
  sensor: string;
  requested: string;
  channel: number | null;
  name: string | null;
  status: string;
  state: string | null;
  error: string | null;
  created_by: string;
  created_ms: number;
  updated_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS switch_commands (
  ref TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  sensor TEXT NOT NULL,
  requested TEXT NOT NULL,
  channel INTEGER,
  name TEXT,
  status TEXT NOT NULL,
  state TEXT,
  error TEXT,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);`;

export class SwitchStore {
  private readonly stmt;

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    // Hubs from before switch names (ESPHome) gain the column in place.
    const cols = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(switch_commands)').all().map((c) => c.name));
    if (!cols.has('name')) db.exec('ALTER TABLE switch_commands ADD COLUMN name TEXT');
    this.stmt = {
      insert: db.prepare<{ ref: string; org: string; gw: string; sensor: string; requested: string; channel: number | null; name: string | null; by: string; t: number }>(
        `INSERT INTO switch_commands (ref, org_id, gateway_id, sensor, requested, channel, name, status, created_by, created_ms, updated_ms)
         VALUES (@ref, @org, @gw, @sensor, @requested, @channel, @name, 'sent', @by, @t, @t)`,
      ),
      get: db.prepare<[string, string], SwitchRow>('SELECT * FROM switch_commands WHERE org_id = ? AND ref = ?'),
      update: db.prepare<[string, string | null, string | null, number, string]>('UPDATE switch_commands SET status = ?, state = ?, error = ?, updated_ms = ? WHERE ref = ?'),
    };
  }

  add(orgId: string, c: { ref: string; gatewayId: NodeIdText; sensor: string; requested: SwitchCommand['requested']; channel: number | null; name: string | null; createdBy: string; timeMs: number }): SwitchCommand {
    this.stmt.insert.run({ ref: c.ref, org: orgId, gw: c.gatewayId, sensor: c.sensor, requested: c.requested, channel: c.channel, name: c.name, by: c.createdBy, t: c.timeMs });
    return this.get(orgId, c.ref)!;
  }

  get(orgId: string, ref: string): SwitchCommand | null {
    const row = this.stmt.get.get(orgId, ref);
    return row ? toCommand(row) : null;
  }

  setStatus(ref: string, status: SwitchStatus, timeMs: number, extra: { state?: 'ON' | 'OFF'; error?: string } = {}): void {
    this.stmt.update.run(status, extra.state ?? null, extra.error ?? null, timeMs, ref);
  }
}

function toCommand(row: SwitchRow): SwitchCommand {
  return {
    ref: row.ref,
    gatewayId: row.gateway_id as NodeIdText,
    sensor: row.sensor,
    requested: row.requested as SwitchCommand['requested'],
    channel: row.channel,
    name: row.name,
    status: row.status as SwitchStatus,
    state: row.state === 'ON' || row.state === 'OFF' ? row.state : null,
    error: row.error,
    createdBy: row.created_by,
    createdAt: new Date(row.created_ms).toISOString(),
    updatedAt: new Date(row.updated_ms).toISOString(),
  };
}
