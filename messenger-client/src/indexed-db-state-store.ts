// The browser's state store: one IndexedDB record per device, written in a transaction that has
// completed before save() resolves (the client acks the hub's inbox only after that). The state
// holds the device's private keys as raw bytes (the ratchet runs on @noble, which WebCrypto cannot
// hold non-extractable), so it is stored only encrypted under a non-extractable AES-GCM key that
// lives in IndexedDB as a CryptoKey: a copied profile folder without the browser's key store does
// not give the keys away. Script running in the page can still use the key; that this cannot stop.
// WebCrypto exists only on secure pages (https, or the hub on this computer as localhost), and a
// hub on a LAN is usually plain http: there the state is kept unsealed. On such a page anyone on the
// network could change the page itself, so the seal would guard little; the messenger says so.

import { MessengerClientError } from './messenger-client-error.ts';
import type { MessengerStateStore } from './state-store.ts';

const OBJECT_STORE = 'state';
const KEY_STORE = 'keys';
const WRAPPING_KEY = 'state-wrapping-key';
/** In KEY_STORE, before a record's key: which page (tab) holds that device now. */
const HOLDER_PREFIX = 'holder:';
/** This page, as a holder: every store the page makes is the same holder. */
/** The holder of a removed record: no page, so every page's save is refused until one loads it again. */
const REMOVED = 'removed';
const THIS_PAGE = [...globalThis.crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, '0')).join('');

/** What is stored: the state JSON, AES-GCM encrypted; the record's key is the additional data, so records cannot be swapped. */
interface WrappedRecord {
  v: 1;
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

/** Whether this page can seal the state (WebCrypto: secure pages only). */
export function canSealState(): boolean {
  return globalThis.crypto?.subtle !== undefined;
}

/**
 * Two tabs of one browser share the record, but each runs its own ratchets: both sending would
 * reuse message keys. So the page that last loaded the state holds the device, and a save from any
 * other page is refused (E_STATE_TAKEN) in the same transaction that would write it: that page
 * stops before its next message goes out, and the one opened last carries on.
 */
export class IndexedDbStateStore implements MessengerStateStore {
  private opening: Promise<IDBDatabase> | null = null;
  private wrapping: Promise<CryptoKey> | null = null;
  private readonly holder = THIS_PAGE;

  /** `key` names this device's record (e.g. the hub URL and user id); `dbName` the database. */
  constructor(
    private readonly key: string,
    private readonly dbName = 'unibos-messenger',
  ) {}

  /** Reads the device's state, and makes this page its holder (see the class). */
  async load(): Promise<string | null> {
    const db = await this.db();
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(KEY_STORE, 'readwrite');
      tx.objectStore(KEY_STORE).put(this.holder, HOLDER_PREFIX + this.key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(failed('take', tx.error));
      tx.onabort = () => reject(failed('take', tx.error));
    });
    const record = await new Promise<unknown>((resolve, reject) => {
      const req = db.transaction(OBJECT_STORE, 'readonly').objectStore(OBJECT_STORE).get(this.key);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(failed('read', req.error));
    });
    if (record === undefined) return null;
    if (typeof record === 'string') {
      // Saved unsealed (before the state was wrapped, or on a plain-http page): from now on kept
      // sealed where this page can seal it.
      if (canSealState()) await this.save(record);
      return record;
    }
    if (!isWrapped(record)) throw new MessengerClientError('E_STATE_MALFORMED', 'the messenger state in IndexedDB is neither a wrapped record (v1) nor the old plaintext');
    if (!canSealState()) {
      throw new MessengerClientError('E_STATE_SEALED', 'this browser sealed the messenger\u2019s keys on a secure page (https, or localhost), and this page is plain http, which cannot open them: open the hub at that address again');
    }
    try {
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv, additionalData: new TextEncoder().encode(this.key) }, await this.wrappingKey(), record.data);
      return new TextDecoder().decode(plain);
    } catch {
      throw new MessengerClientError('E_STATE_MALFORMED', 'the messenger state in IndexedDB does not decrypt: its wrapping key is missing or another one (was the browser\u2019s key store cleared?)');
    }
  }

  async save(json: string): Promise<void> {
    if (!canSealState()) return this.put(json);
    const key = await this.wrappingKey();
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(this.key) }, key, new TextEncoder().encode(json));
    const record: WrappedRecord = { v: 1, iv, data };
    return this.put(record);
  }

  /**
   * Forgets this device: its record goes, and no page holds it any more, so a save still on its way
   * from a page that held it is refused (E_STATE_TAKEN) rather than writing the keys back. The next
   * load() finds nothing (a new device).
   */
  async remove(): Promise<void> {
    const db = await this.db();
    return new Promise((resolve, reject) => {
      const tx = db.transaction([OBJECT_STORE, KEY_STORE], 'readwrite');
      tx.objectStore(OBJECT_STORE).delete(this.key);
      tx.objectStore(KEY_STORE).put(REMOVED, HOLDER_PREFIX + this.key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(failed('remove', tx.error));
      tx.onabort = () => reject(failed('remove', tx.error));
    });
  }

  private async put(record: WrappedRecord | string): Promise<void> {
    const db = await this.db();
    return new Promise((resolve, reject) => {
      const tx = db.transaction([OBJECT_STORE, KEY_STORE], 'readwrite');
      let taken = false;
      const holder = tx.objectStore(KEY_STORE).get(HOLDER_PREFIX + this.key);
      holder.onsuccess = () => {
        if (holder.result !== undefined && holder.result !== this.holder) {
          taken = true;
          tx.abort();
          return;
        }
        tx.objectStore(OBJECT_STORE).put(record, this.key);
      };
      const fail = (): void =>
        reject(taken ? new MessengerClientError('E_STATE_TAKEN', 'this messenger device is open in another tab or window of this browser, which took it over: nothing more is sent from here; reload this page to use it here instead') : failed('write', tx.error));
      tx.oncomplete = () => resolve();
      tx.onerror = fail;
      tx.onabort = fail;
    });
  }

  /** The database's wrapping key, made once; if two pages make one at the same time, the first one stored wins. */
  private wrappingKey(): Promise<CryptoKey> {
    this.wrapping ??= (async () => {
      const db = await this.db();
      const fresh = (await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])) as CryptoKey;
      return new Promise<CryptoKey>((resolve, reject) => {
        const tx = db.transaction(KEY_STORE, 'readwrite');
        const keys = tx.objectStore(KEY_STORE);
        let chosen = fresh;
        const req = keys.get(WRAPPING_KEY);
        req.onsuccess = () => {
          if (req.result instanceof CryptoKey) chosen = req.result;
          else keys.put(fresh, WRAPPING_KEY);
        };
        tx.oncomplete = () => resolve(chosen);
        tx.onerror = () => reject(failed('keep the wrapping key of', tx.error));
        tx.onabort = () => reject(failed('keep the wrapping key of', tx.error));
      });
    })();
    this.wrapping.catch(() => (this.wrapping = null));
    return this.wrapping;
  }

  private db(): Promise<IDBDatabase> {
    this.opening ??= new Promise((resolve, reject) => {
      const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
      if (!idb) return reject(new MessengerClientError('E_STATE_MALFORMED', 'this environment has no IndexedDB; give the client another MessengerStateStore'));
      // Version 2 added the key store; a database from version 1 keeps its state records.
      const req = idb.open(this.dbName, 2);
      req.onupgradeneeded = () => {
        for (const name of [OBJECT_STORE, KEY_STORE]) if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(failed('open', req.error));
    });
    return this.opening;
  }
}

function isWrapped(r: unknown): r is WrappedRecord {
  const x = r as Partial<WrappedRecord> | null;
  return typeof x === 'object' && x !== null && x.v === 1 && x.iv instanceof Uint8Array && x.iv.length === 12 && x.data instanceof ArrayBuffer;
}

function failed(what: string, err: DOMException | null): MessengerClientError {
  return new MessengerClientError('E_STATE_MALFORMED', `could not ${what} the messenger state in IndexedDB: ${err?.message ?? 'unknown error'}`);
}
