// The hub command refs the bridge has taken, with the packet id each got, in the gateway's SQLite
// database: the hub publishes a command again until it has seen our report, so a ref must be
// recognised after a crash and restart too, or the text goes on air twice (a TOGGLE runs twice).
// A ref is written `pending` (with its command) before the node is asked to send anything, and
// settled with the packet id once the node has queued it: a crash in between leaves a pending row,
// never a queued message whose ref is unknown (mesh-bridge.ts resolves pending rows at start).

import type Database from 'better-sqlite3';

/** Refs remembered against repeats: far more than a hub has unreported at once. */
export const MAX_TAKEN_REFS = 4096;

export type TakenState =
  /** Recorded; the node may or may not have queued it yet (only seen after a crash, or while a switch runs). */
  | 'pending'
  /** Queued by the node (packetId), or run (a switch). */
  | 'taken'
  /** Pending when an earlier run of the gateway died: whether it was sent is not known, so it is never sent again. */
  | 'interrupted';

export interface TakenRef {
  readonly ref: string;
  readonly state: TakenState;
  readonly packetId: number | undefined;
}

interface Row {
  ref: string;
  state: string;
  packet_id: number | null;
  command: Buffer | null;
}

// `seq` is the rowid, so the oldest refs are one range delete away; a lookup by packet id (the
// node reporting a message it let go of) has its own index.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS bridge_taken_refs (
    seq INTEGER PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'taken', 'interrupted')),
    packet_id INTEGER,
    command BLOB
  );
  CREATE INDEX IF NOT EXISTS bridge_taken_refs_packet ON bridge_taken_refs (packet_id) WHERE packet_id IS NOT NULL;
`;

export class TakenRefs {
  private readonly select: Database.Statement<[string], Row>;
  private readonly insert: Database.Statement<[string, Buffer]>;
  private readonly settleRow: Database.Statement<[number | null, string]>;
  private readonly interrupt: Database.Statement<[string]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly byPacket: Database.Statement<[number], { ref: string }>;
  private readonly pendingRows: Database.Statement<[], Row>;
  private readonly trim: Database.Statement<[number | bigint]>;

  constructor(db: Database.Database, readonly maxRefs = MAX_TAKEN_REFS) {
    db.exec(SCHEMA);
    this.select = db.prepare('SELECT ref, state, packet_id, command FROM bridge_taken_refs WHERE ref = ?');
    this.insert = db.prepare("INSERT INTO bridge_taken_refs (ref, state, command) VALUES (?, 'pending', ?)");
    this.settleRow = db.prepare("UPDATE bridge_taken_refs SET state = 'taken', packet_id = ?, command = NULL WHERE ref = ?");
    this.interrupt = db.prepare("UPDATE bridge_taken_refs SET state = 'interrupted', command = NULL WHERE ref = ?");
    this.remove = db.prepare('DELETE FROM bridge_taken_refs WHERE ref = ?');
    this.byPacket = db.prepare('SELECT ref FROM bridge_taken_refs WHERE packet_id = ? ORDER BY seq DESC LIMIT 1');
    this.pendingRows = db.prepare("SELECT ref, state, packet_id, command FROM bridge_taken_refs WHERE state = 'pending' ORDER BY seq");
    this.trim = db.prepare('DELETE FROM bridge_taken_refs WHERE seq <= ?');
  }

  get(ref: string): TakenRef | undefined {
    const row = this.select.get(ref);
    return row ? toTaken(row) : undefined;
  }

  /** Records `ref` as pending, committed before the caller acts on `command`; the oldest beyond the bound go. */
  begin(ref: string, command: Buffer): void {
    const seq = this.insert.run(ref, command).lastInsertRowid;
    this.trim.run(BigInt(seq) - BigInt(this.maxRefs));
  }

  /** The node queued it as `packetId` (undefined: nothing to match later, e.g. a switch that has run). */
  settle(ref: string, packetId: number | undefined): void {
    this.settleRow.run(packetId ?? null, ref);
  }

  /** Refused before anything was queued: a repeat of it is tried afresh. */
  release(ref: string): void {
    this.remove.run(ref);
  }

  markInterrupted(ref: string): void {
    this.interrupt.run(ref);
  }

  /** The ref a packet id was given for, if it is still remembered. */
  refOf(packetId: number): string | undefined {
    return this.byPacket.get(packetId)?.ref;
  }

  /** Refs an earlier run recorded but never settled, with the command each was for. */
  pending(): Array<{ ref: string; command: Buffer }> {
    return this.pendingRows.all().map((r) => ({ ref: r.ref, command: r.command ?? Buffer.alloc(0) }));
  }
}

function toTaken(row: Row): TakenRef {
  return { ref: row.ref, state: row.state as TakenState, packetId: row.packet_id ?? undefined };
}
