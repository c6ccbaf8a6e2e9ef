// The browser's state store: one IndexedDB record per device, written in a transaction that has
// completed before save() resolves (the client acks the hub's inbox only after that).

import { MessengerClientError } from './messenger-client-error.ts';
import type { MessengerStateStore } from './state-store.ts';

const OBJECT_STORE = 'state';

export class IndexedDbStateStore implements MessengerStateStore {
  private opening: Promise<IDBDatabase> | null = null;

  /** `key` names this device's record (e.g. the hub URL and user id); `dbName` the database. */
  constructor(
    private readonly key: string,
    private readonly dbName = 'unibos-messenger',
  ) {}

  async load(): Promise<string | null> {
    const db = await this.db();
    return new Promise((resolve, reject) => {
      const req = db.transaction(OBJECT_STORE, 'readonly').objectStore(OBJECT_STORE).get(this.key);
      req.onsuccess = () => resolve(typeof req.result === 'string' ? req.result : null);
      req.onerror = () => reject(failed('read', req.error));
    });
  }

  async save(json: string): Promise<void> {
    const db = await this.db();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(OBJECT_STORE, 'readwrite');
      tx.objectStore(OBJECT_STORE).put(json, this.key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(failed('write', tx.error));
      tx.onabort = () => reject(failed('write', tx.error));
    });
  }

  private db(): Promise<IDBDatabase> {
    this.opening ??= new Promise((resolve, reject) => {
      const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
      if (!idb) return reject(new MessengerClientError('E_STATE_MALFORMED', 'this environment has no IndexedDB; give the client another MessengerStateStore'));
      const req = idb.open(this.dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(OBJECT_STORE);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(failed('open', req.error));
    });
    return this.opening;
  }
}

function failed(what: string, err: DOMException | null): MessengerClientError {
  return new MessengerClientError('E_STATE_MALFORMED', `could not ${what} the messenger state in IndexedDB: ${err?.message ?? 'unknown error'}`);
}
