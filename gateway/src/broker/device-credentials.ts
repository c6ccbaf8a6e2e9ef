// The devices allowed on the gateway broker: id (also the MQTT username and client id), role and a
// hashed secret, in the gateway's SQLite database. The secret is shown once, when it is issued.

import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { GatewayError } from '../gateway-error.ts';
import { ANONYMOUS_ID, DEVICE_ID_PATTERN, isDeviceRole, type DeviceRole } from './acl.ts';
import { DEFAULT_SCRYPT_PARAMS, hashSecret, verifySecret, type ScryptParams } from '@unibos/credentials';
import { parseRule, type RuleAccess, type TopicRule } from './topic-rules.ts';

export interface DeviceRecord {
  readonly id: string;
  readonly role: DeviceRole;
  readonly createdMs: number;
  /**
   * Which credential the row holds now: a digest of its creation time and secret hash (not the
   * hash itself), so it changes when the secret is rotated or the device removed and added again.
   * A connection made with another credential than the current one is cut (GatewayBroker).
   */
  readonly credential: string;
}

export interface DeviceCredentialsOptions {
  /** Clock for created_ms; injected so tests are deterministic. */
  readonly now?: () => number;
  /** scrypt cost for newly issued secrets; existing rows keep the cost they were hashed with. */
  readonly scrypt?: ScryptParams;
}

const SECRET_BYTES = 32;

interface DeviceRow {
  id: string;
  role: string;
  secret_hash: string;
  created_ms: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('sensor', 'hub', 'gateway')),
  secret_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL
)`;

// A device's own topic rules (`unibos gateway device add --allow/--deny`), as mosquitto `pattern`
// lines of its user section; removed with the device.
const RULES_SCHEMA = `CREATE TABLE IF NOT EXISTS device_topic_rules (
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  access TEXT NOT NULL CHECK (access IN ('read', 'write', 'readwrite', 'deny')),
  topic TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
)`;

/** A rule as given on the command line: `[read|write|readwrite] TOPIC` to allow, `TOPIC` to deny. */
export interface DeviceRuleInput {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

export class DeviceCredentials {
  private readonly now: () => number;
  private readonly scryptParams: ScryptParams;
  private readonly stmt: {
    readonly get: Database.Statement<[string], DeviceRow>;
    readonly list: Database.Statement<[], DeviceRow>;
    readonly insert: Database.Statement<[string, string, string, number]>;
    readonly update: Database.Statement<[string, string]>;
    readonly remove: Database.Statement<[string]>;
    readonly rules: Database.Statement<[string], { seq: number; access: string; topic: string }>;
    readonly addRule: Database.Statement<[string, number, string, string]>;
    readonly removeRules: Database.Statement<[string]>;
  };
  private readonly db: Database.Database;
  /** SQLite's count of commits to the database by other connections (the CLI next to a running gateway). */
  private readonly dataVersion: Database.Statement<[], number>;
  /** Changes made through this object, which data_version does not count. */
  private localChanges = 0;
  /** Verified against for unknown usernames, so a miss costs what a hit costs. */
  private decoyHash: Promise<string> | null = null;

  constructor(db: Database.Database, options: DeviceCredentialsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.scryptParams = options.scrypt ?? DEFAULT_SCRYPT_PARAMS;
    this.db = db;
    try {
      db.exec(SCHEMA);
      db.exec(RULES_SCHEMA);
    } catch (err) {
      throw new GatewayError('E_CONFIG', `cannot create the devices table: ${(err as Error).message}`, { cause: err });
    }
    const columns = new Set((db.pragma('table_info(devices)') as Array<{ name: string }>).map((c) => c.name));
    const missing = ['id', 'role', 'secret_hash', 'created_ms'].filter((c) => !columns.has(c));
    if (missing.length > 0) {
      throw new GatewayError('E_CONFIG', `the devices table exists but lacks column(s) ${missing.join(', ')}`);
    }
    this.stmt = {
      get: db.prepare<[string], DeviceRow>('SELECT id, role, secret_hash, created_ms FROM devices WHERE id = ?'),
      list: db.prepare<[], DeviceRow>('SELECT id, role, secret_hash, created_ms FROM devices ORDER BY id'),
      insert: db.prepare<[string, string, string, number]>(
        'INSERT INTO devices (id, role, secret_hash, created_ms) VALUES (?, ?, ?, ?)',
      ),
      update: db.prepare<[string, string]>('UPDATE devices SET secret_hash = ? WHERE id = ?'),
      remove: db.prepare<[string]>('DELETE FROM devices WHERE id = ?'),
      rules: db.prepare<[string], { seq: number; access: string; topic: string }>('SELECT seq, access, topic FROM device_topic_rules WHERE device_id = ? ORDER BY seq'),
      addRule: db.prepare<[string, number, string, string]>('INSERT INTO device_topic_rules (device_id, seq, access, topic) VALUES (?, ?, ?, ?)'),
      removeRules: db.prepare<[string]>('DELETE FROM device_topic_rules WHERE device_id = ?'),
    };
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /**
   * A mark that moves whenever the devices may have changed, through this object or in another
   * process (`unibos gateway device remove` next to a running gateway): cheap enough to read a few
   * times a second, so the broker can look at its connected devices' rows only when it moves.
   */
  changeMark(): string {
    return `${this.dataVersion.get()}:${this.localChanges}`;
  }

  /**
   * Registers a device and returns its secret; only a hash is kept, so this is the one chance to read it.
   * `rules` are its topic rules; a bad one is refused (E_BAD_REQUEST naming it and why) and nothing is added.
   */
  async add(id: string, role: DeviceRole, rules: DeviceRuleInput = { allow: [], deny: [] }): Promise<string> {
    checkId(id);
    if (!isDeviceRole(role)) {
      throw new GatewayError('E_BAD_REQUEST', `unknown role ${JSON.stringify(role)}; expected sensor, hub or gateway`);
    }
    const parsed = parseDeviceRules(id, rules);
    if (this.stmt.get.get(id)) throw new GatewayError('E_BAD_REQUEST', `device ${id} already exists`);
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const hash = await hashSecret(Buffer.from(secret, 'utf8'), this.scryptParams);
    try {
      this.db.transaction(() => {
        this.stmt.insert.run(id, role, hash, this.now());
        parsed.forEach((r, i) => this.stmt.addRule.run(id, i, r.access, r.topic));
      })();
      this.localChanges++;
    } catch (err) {
      // Another process (the CLI next to a running gateway) may have added the same id meanwhile.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new GatewayError('E_BAD_REQUEST', `device ${id} already exists`, { cause: err });
      }
      throw err;
    }
    return secret;
  }

  /**
   * Issues a new secret for an existing device; the old one stops working, and a running broker on
   * this database (in this process or another) closes the connections made with it (changeMark).
   */
  async rotate(id: string): Promise<string> {
    checkId(id);
    if (!this.stmt.get.get(id)) throw new GatewayError('E_BAD_REQUEST', `no device ${id}`);
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const hash = await hashSecret(Buffer.from(secret, 'utf8'), this.scryptParams);
    if (this.stmt.update.run(hash, id).changes === 0) throw new GatewayError('E_BAD_REQUEST', `no device ${id}`);
    this.localChanges++;
    return secret;
  }

  /** The device's role if `password` is its secret, else null; unknown names take as long as known ones. */
  async verify(username: string, password: Buffer | string): Promise<DeviceRole | null> {
    return (await this.verifyDevice(username, password))?.role ?? null;
  }

  /** The device row `password` is the secret of, as it was when checked (its `credential` says which secret), else null. */
  async verifyDevice(username: string, password: Buffer | string): Promise<DeviceRecord | null> {
    const secret = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
    const row = DEVICE_ID_PATTERN.test(username) ? this.stmt.get.get(username) : undefined;
    if (!row || !isDeviceRole(row.role)) {
      await verifySecret(secret, await this.decoy());
      return null;
    }
    return (await verifySecret(secret, row.secret_hash)) ? toRecord(row) : null;
  }

  get(id: string): DeviceRecord | null {
    if (!DEVICE_ID_PATTERN.test(id)) return null;
    const row = this.stmt.get.get(id);
    return row ? toRecord(row) : null;
  }

  list(): DeviceRecord[] {
    return this.stmt.list.all().flatMap((row) => {
      const record = toRecord(row);
      return record ? [record] : [];
    });
  }

  /**
   * Forgets a device; true if it existed. A running broker on this database, in this process or
   * another, notices by changeMark and closes the device's connections (GatewayBroker).
   */
  remove(id: string): boolean {
    checkId(id);
    const removed = this.db.transaction(() => {
      this.stmt.removeRules.run(id);
      return this.stmt.remove.run(id).changes > 0;
    })();
    this.localChanges++;
    return removed;
  }

  /** The device's own topic rules, in the order given (as `pattern` lines: %u and %c work). */
  rules(id: string): TopicRule[] {
    if (!DEVICE_ID_PATTERN.test(id)) return [];
    return this.stmt.rules.all(id).map((r) => ({ kind: 'pattern', access: r.access as RuleAccess, topic: r.topic, origin: `device ${id} rule ${r.seq + 1}` }));
  }

  private decoy(): Promise<string> {
    this.decoyHash ??= hashSecret(randomBytes(SECRET_BYTES), this.scryptParams);
    return this.decoyHash;
  }
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !DEVICE_ID_PATTERN.test(id)) {
    throw new GatewayError('E_BAD_REQUEST', `invalid device id ${JSON.stringify(id)}: use 1-64 of A-Z a-z 0-9 _ -`);
  }
  if (id === ANONYMOUS_ID) {
    throw new GatewayError('E_BAD_REQUEST', `device id ${ANONYMOUS_ID} is reserved for anonymous clients`);
  }
}

function toRecord(row: DeviceRow): DeviceRecord | null {
  if (!isDeviceRole(row.role)) return null;
  const credential = createHash('sha256').update(`${row.created_ms}:${row.secret_hash}`).digest('base64url');
  return { id: row.id, role: row.role, createdMs: row.created_ms, credential };
}

/** `--allow [read|write|readwrite] TOPIC` and `--deny TOPIC` read as rules; throws E_BAD_REQUEST naming the flag and why. */
export function parseDeviceRules(id: string, input: DeviceRuleInput): TopicRule[] {
  const out: TopicRule[] = [];
  const read = (flag: string, text: string, i: number, deny: boolean): void => {
    const origin = `${flag} #${i + 1} (${JSON.stringify(text)})`;
    try {
      const words = text.trim().split(/\s+/);
      if (deny && words.length === 2 && words[0] === 'deny') words.shift();
      if (deny && words.length !== 1) throw new Error(`--deny takes just a topic: it denies reading and writing`);
      const rule = parseRule('pattern', words.join(' '), origin);
      if (!deny && rule.access === 'deny') throw new Error('use --deny for a deny rule');
      out.push(deny ? { ...rule, access: 'deny' } : rule);
    } catch (err) {
      throw new GatewayError('E_BAD_REQUEST', `device ${id}: ${(err as { reason?: string }).reason ? (err as Error).message : `${origin}: ${(err as Error).message}`}`, { cause: err });
    }
  };
  input.allow.forEach((t, i) => read('--allow', t, i, false));
  input.deny.forEach((t, i) => read('--deny', t, i, true));
  return out;
}
