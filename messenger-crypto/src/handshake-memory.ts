// The first messages (handshakes) a device answered, remembered per peer after their session is
// gone, so a recording of one played back later is refused as a replay. Per peer, not in one list
// for the whole device: with one list anyone could push a peer's handshakes out with handshakes of
// their own (their own account, or made-up mesh nodes) and then replay the peer's first message.
// A peer is named by what its handshakes are bound to and nobody else can make: its identity key
// (the hub's address for a device could file a recording under another user), or on the mesh its
// node id, the hash of its key. Only the peer itself can move its list on.

import { asArray, asRecord, asString } from './state-json.ts';

export class HandshakeMemory {
  private readonly byPeer = new Map<string, string[]>();
  /** Handshakes saved before they were kept per peer: checked for every peer, never added to. */
  private legacy: string[] = [];

  constructor(private readonly perPeer: number) {}

  seen(peer: string, handshake: string): boolean {
    return (this.byPeer.get(peer)?.includes(handshake) ?? false) || this.legacy.includes(handshake);
  }

  remember(peer: string, handshake: string): void {
    const list = this.byPeer.get(peer) ?? [];
    list.push(handshake);
    if (list.length > this.perPeer) list.splice(0, list.length - this.perPeer);
    this.byPeer.set(peer, list);
  }

  /** `handshakesByPeer` for the state file (and `handshakes`, the older flat list, while it is kept). */
  toJSON(): { handshakesByPeer: Record<string, string[]>; handshakes?: string[] } {
    return { handshakesByPeer: Object.fromEntries(this.byPeer), ...(this.legacy.length ? { handshakes: [...this.legacy] } : {}) };
  }

  /** From a state file's `handshakesByPeer` and, saved before it, `handshakes` (`what` names them in errors). */
  static fromJSON(byPeer: unknown, flat: unknown, perPeer: number, legacyKept: number, what: string): HandshakeMemory {
    const memory = new HandshakeMemory(perPeer);
    if (byPeer !== undefined) {
      for (const [peer, list] of Object.entries(asRecord(byPeer, `${what}.handshakesByPeer`))) {
        memory.byPeer.set(peer, asArray(list, `${what}.handshakesByPeer[${peer}]`).slice(-perPeer).map((h, i) => asString(h, `${what}.handshakesByPeer[${peer}][${i}]`)));
      }
    }
    if (flat !== undefined) memory.legacy = asArray(flat, `${what}.handshakes`).slice(-legacyKept).map((h, i) => asString(h, `${what}.handshakes[${i}]`));
    return memory;
  }
}
