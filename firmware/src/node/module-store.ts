// A module's own small store on the node: one JSON file per module under <dataDir>/modules/,
// written durably, with a size limit so a module cannot fill the SD card the outbox lives on.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.ts';

/** Enough for a module's node-only notes (answers given, last alert heard); not a database. */
export const MODULE_STORE_LIMIT_BYTES = 16 * 1024;

export type StoreRefusal = 'not-json' | 'full';

export class ModuleStore {
  private readonly file: string;
  private data: Record<string, unknown>;

  constructor(dataDir: string, name: string) {
    const dir = join(dataDir, 'modules');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, `${name}.json`);
    this.data = readStore(this.file);
  }

  get(key: string): unknown {
    return Object.hasOwn(this.data, key) ? this.data[key] : undefined;
  }

  keys(): string[] {
    return Object.keys(this.data);
  }

  /** Null when stored, else why not (the caller counts and logs it). */
  set(key: string, value: unknown): StoreRefusal | null {
    let text: string | undefined;
    const next = { ...this.data, [key]: value };
    try {
      text = JSON.stringify(next);
    } catch {
      return 'not-json';
    }
    if (text === undefined || value === undefined || JSON.stringify(value) === undefined) return 'not-json';
    if (Buffer.byteLength(text) > MODULE_STORE_LIMIT_BYTES) return 'full';
    writeFileDurably(this.file, text);
    this.data = JSON.parse(text) as Record<string, unknown>;
    return null;
  }

  delete(key: string): void {
    if (!Object.hasOwn(this.data, key)) return;
    const { [key]: _gone, ...rest } = this.data;
    writeFileDurably(this.file, JSON.stringify(rest));
    this.data = rest;
  }
}

/** A missing or damaged file is an empty store: the module's notes are not worth a failed start. */
function readStore(file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
