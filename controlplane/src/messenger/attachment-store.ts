// Encrypted attachment blobs: one file each under <dataDir>/messenger/attachments (folder 0700,
// files 0600), indexed by the `messenger_attachments` table. The hub never sees a key: the client
// encrypts before upload and sends the key inside the message that refers to the attachment.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HubDb } from '../storage/hub-db.ts';

export interface AttachmentRecord {
  id: string;
  uploadedBy: string;
  bytes: number;
  createdAt: string;
}

interface AttachmentRow {
  id: string;
  org_id: string;
  uploaded_by: string;
  bytes: number;
  created_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messenger_attachments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  uploaded_by TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messenger_attachments_age ON messenger_attachments (created_ms);`;

export class AttachmentStore {
  private readonly dir: string;
  private readonly stmt;

  constructor(db: HubDb, dataDir: string) {
    db.exec(SCHEMA);
    this.dir = join(dataDir, 'messenger', 'attachments');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.stmt = {
      insert: db.prepare<[string, string, string, number, number]>('INSERT INTO messenger_attachments (id, org_id, uploaded_by, bytes, created_ms) VALUES (?, ?, ?, ?, ?)'),
      get: db.prepare<[string, string], AttachmentRow>('SELECT * FROM messenger_attachments WHERE org_id = ? AND id = ?'),
      remove: db.prepare<[string]>('DELETE FROM messenger_attachments WHERE id = ?'),
      unsentBytes: db.prepare<[string, string], { bytes: number | null }>(
        'SELECT SUM(bytes) AS bytes FROM messenger_attachments a WHERE a.org_id = ? AND a.uploaded_by = ? AND NOT EXISTS (SELECT 1 FROM messenger_message_attachments l WHERE l.attachment_id = a.id)',
      ),
      referenced: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM messenger_message_attachments WHERE attachment_id = ?'),
      unreferencedBefore: db.prepare<[number], { id: string }>(
        'SELECT id FROM messenger_attachments a WHERE a.created_ms < ? AND NOT EXISTS (SELECT 1 FROM messenger_message_attachments l WHERE l.attachment_id = a.id)',
      ),
    };
  }

  /** The file is written (0600) and fsync'd, with its directory entry, before its row exists, so a row always has its bytes. */
  save(orgId: string, id: string, uploadedBy: string, data: Buffer, nowMs: number): AttachmentRecord {
    const path = this.path(id);
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } catch (err) {
      rmSync(path, { force: true });
      throw err;
    } finally {
      closeSync(fd);
    }
    syncDir(this.dir);
    this.stmt.insert.run(id, orgId, uploadedBy, data.length, nowMs);
    return { id, uploadedBy, bytes: data.length, createdAt: new Date(nowMs).toISOString() };
  }

  get(orgId: string, id: string): AttachmentRecord | null {
    const row = this.stmt.get.get(orgId, id);
    return row ? { id: row.id, uploadedBy: row.uploaded_by, bytes: row.bytes, createdAt: new Date(row.created_ms).toISOString() } : null;
  }

  read(id: string): Buffer {
    return readFileSync(this.path(id));
  }

  remove(id: string): void {
    this.stmt.remove.run(id);
    rmSync(this.path(id), { force: true });
  }

  /** Whether a stored message refers to the blob. */
  isReferenced(id: string): boolean {
    return (this.stmt.referenced.get(id)?.n ?? 0) > 0;
  }

  /** Bytes a user uploaded that no message refers to (yet, or any more). */
  unsentBytes(orgId: string, userId: string): number {
    return this.stmt.unsentBytes.get(orgId, userId)?.bytes ?? 0;
  }

  /** Free bytes on the disk the blobs are written to (for an unprivileged writer). */
  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Uploads no message referred to (abandoned, or every message that did has expired), older than `cutoffMs`. */
  unreferencedBefore(cutoffMs: number): string[] {
    return this.stmt.unreferencedBefore.all(cutoffMs).map((r) => r.id);
  }

  private path(id: string): string {
    // Ids are hub-made UUIDs (checked by the route schema), never a path a caller chose.
    return join(this.dir, id);
  }
}

/** Makes a new file's directory entry durable (some filesystems refuse fsync on a directory; the file's own fsync stands there). */
function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Not supported here.
  } finally {
    closeSync(fd);
  }
}
