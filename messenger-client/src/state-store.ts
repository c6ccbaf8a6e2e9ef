// Where a client keeps its state (device keys, sessions, pins, decrypted history): injected, so the
// CLI writes a 0600 file and a browser IndexedDB. The client saves before it acknowledges anything.

export interface MessengerStateStore {
  load(): Promise<string | null>;
  save(json: string): Promise<void>;
}

/** In memory only: for tests and for a client that may forget everything when it ends. */
export class MemoryStateStore implements MessengerStateStore {
  constructor(public json: string | null = null) {}
  async load(): Promise<string | null> {
    return this.json;
  }
  async save(json: string): Promise<void> {
    this.json = json;
  }
}
