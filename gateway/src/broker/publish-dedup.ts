// Remembers, per persistent MQTT session, which hub message each packet id last became, so a
// message the gateway took but whose acknowledgement never reached the sensor (the gateway was
// killed, or the link dropped, in between) is recognised when the sensor resends it (same packet
// id, same topic and payload, on a later connection) and is acknowledged again instead of being
// taken twice. The record and the hub outbox row are committed in one SQLite transaction: after a
// crash either both exist or neither does.
//
// MQTT 3.1.1 marks a resend with DUP [MQTT-3.3.1-1], but widely used clients (mqtt.js 5 among
// them) resend with DUP=0. They resend first thing on the new connection, before anything new, so
// a DUP=0 publish that matches a record from an earlier connection is a resend too while the
// connection is still in that opening stretch; the first publish that is not a resend ends it, and
// from then on only DUP marks a resend. (A client that opens a connection by sending, under the
// same packet id, exactly the message it had sent under that id before would have it taken once:
// the price of exactly-once for clients that do not set DUP.)

import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { GatewayError } from '../gateway-error.ts';

export interface PublishDedupOptions {
  /** Part of every message id given out, so ids stay unique across gateways. */
  readonly gatewayId: string;
  /** Records kept in all; past this the oldest go (a resend of a message that old becomes new). Default 200,000. */
  readonly maxRecords?: number;
  readonly newId?: () => string;
}

/** A QoS 1/2 PUBLISH from a client with a persistent session. */
export interface SessionPublish {
  readonly clientId: string;
  readonly packetId: number;
  readonly dup: boolean;
  readonly topic: string;
  readonly payload: Buffer;
  /** The connection it arrived on: a client resends only on a later connection of its session. */
  readonly connection: string;
}

export type PublishVerdict =
  /** New: recorded under `msgId` and handed to the gateway, in one transaction. */
  | { readonly kind: 'taken'; readonly msgId: string }
  /** A resend of the message taken as `msgId`: acknowledge it, take nothing. */
  | { readonly kind: 'resend'; readonly msgId: string };

interface RecordRow {
  digest: Buffer;
  msg_id: string;
  connection: string;
}

// `seq` is the rowid: INSERT OR REPLACE gives a replaced record a new, higher one, so the lowest
// seqs are the records taken longest ago and the bound is one range delete.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS broker_publish_dedup (
    seq INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    packet_id INTEGER NOT NULL,
    digest BLOB NOT NULL,
    msg_id TEXT NOT NULL,
    connection TEXT NOT NULL,
    UNIQUE (client_id, packet_id)
  );
`;

export class PublishDedup {
  readonly maxRecords: number;
  private readonly gatewayId: string;
  private readonly newId: () => string;
  private readonly select: Database.Statement<[string, number], RecordRow>;
  private readonly upsert: Database.Statement<[string, number, Buffer, string, string]>;
  private readonly trim: Database.Statement<[number | bigint]>;
  private readonly anyOf: Database.Statement<[string], { one: number }>;
  private readonly deleteClient: Database.Statement<[string]>;
  private readonly takeTx: (p: SessionPublish, digest: Buffer, deliver: (msgId: string) => void) => PublishVerdict;
  /** Connections that have sent something new: past their opening resends. Oldest first, bounded. */
  private readonly pastResends = new Set<string>();

  constructor(db: Database.Database, options: PublishDedupOptions) {
    this.gatewayId = options.gatewayId;
    this.maxRecords = options.maxRecords ?? 200_000;
    if (!Number.isSafeInteger(this.maxRecords) || this.maxRecords < 1) {
      throw new GatewayError('E_CONFIG', `maxRecords must be a positive integer, got ${options.maxRecords}`);
    }
    this.newId = options.newId ?? randomUUID;
    db.exec(SCHEMA);
    this.select = db.prepare<[string, number], RecordRow>('SELECT digest, msg_id, connection FROM broker_publish_dedup WHERE client_id = ? AND packet_id = ?');
    this.upsert = db.prepare<[string, number, Buffer, string, string]>(
      'INSERT OR REPLACE INTO broker_publish_dedup (client_id, packet_id, digest, msg_id, connection) VALUES (?, ?, ?, ?, ?)',
    );
    // A range on the rowid: when nothing is that old (the usual case) it finds nothing at once.
    this.trim = db.prepare<[number | bigint]>('DELETE FROM broker_publish_dedup WHERE seq <= ?');
    this.anyOf = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM broker_publish_dedup WHERE client_id = ? LIMIT 1');
    this.deleteClient = db.prepare<[string]>('DELETE FROM broker_publish_dedup WHERE client_id = ?');
    this.takeTx = db.transaction((p: SessionPublish, digest: Buffer, deliver: (msgId: string) => void): PublishVerdict => {
      // [MQTT-3.3.1-1] a resend carries DUP, and [MQTT-4.4.0-1] comes on a later connection: a DUP
      // publish on the connection that was already answered is a new publication ([MQTT-4.3.2-2]).
      if (p.dup || !this.pastResends.has(p.connection)) {
        const known = this.select.get(p.clientId, p.packetId);
        if (known && known.connection !== p.connection && known.digest.equals(digest)) return { kind: 'resend', msgId: known.msg_id };
      }
      const msgId = `${this.gatewayId}:${this.newId()}`;
      const seq = this.upsert.run(p.clientId, p.packetId, digest, msgId, p.connection).lastInsertRowid;
      deliver(msgId);
      this.markPastResends(p.connection);
      this.trim.run(BigInt(seq) - BigInt(this.maxRecords));
      return { kind: 'taken', msgId };
    });
  }

  /**
   * Judges a publish and, when it is new, records it and calls `deliver` with its message id inside
   * one transaction, so what `deliver` writes to the same database commits with the record. If
   * `deliver` throws, nothing is recorded and the error propagates.
   */
  take(p: SessionPublish, deliver: (msgId: string) => void): PublishVerdict {
    return this.takeTx(p, digestOf(p.topic, p.payload), deliver);
  }

  private markPastResends(connection: string): void {
    if (this.pastResends.has(connection)) return;
    this.pastResends.add(connection);
    if (this.pastResends.size > MAX_TRACKED_CONNECTIONS) this.pastResends.delete(this.pastResends.values().next().value!);
  }

  /** The client's session ended (a clean-session connect): nothing it sends later is a resend of what it sent before. */
  forgetClient(clientId: string): void {
    // Read first: a clean-session connect is common and usually has nothing to forget, and a
    // read costs no commit.
    if (this.anyOf.get(clientId)) this.deleteClient.run(clientId);
  }
}

/** Connections remembered as past their opening resends; an older one forgotten only loses the DUP=0 allowance. */
const MAX_TRACKED_CONNECTIONS = 10_000;

function digestOf(topic: string, payload: Buffer): Buffer {
  return createHash('sha256').update(topic, 'utf8').update(Buffer.from([0])).update(payload).digest().subarray(0, 16);
}
