// Channel keys: derivation from a name and pre-shared key, the 1-byte on-air hash, and the set
// of channels a node listens on, indexed by that hash.

import { createHash, hkdfSync } from 'node:crypto';
import { MeshError } from '../core/mesh-error.ts';

export interface ChannelKey {
  readonly name: string;
  /** First byte of SHA-256 over name and key; what frames carry instead of the name. */
  readonly hash: number;
  /** AES-256 key, derived once here so no key derivation happens per frame. */
  readonly key: Uint8Array;
}

const KEY_SALT = 'unibos/channel/v1';
const HASH_PREFIX = 'unibos/channel-hash/v1';

/**
 * HKDF-SHA256(ikm = psk, salt = 'unibos/channel/v1', info = name) -> 32 bytes.
 * HKDF adds no entropy: a channel is only as secret as its PSK, so private channels need
 * 16+ random bytes. The name takes part so that one PSK reused on two channels gives two keys.
 */
export function deriveChannelKey(name: string, psk: Uint8Array): ChannelKey {
  if (typeof name !== 'string' || name.length === 0) throw new MeshError('E_BAD_ARGUMENT', 'channel name must not be empty');
  if (!(psk instanceof Uint8Array) || psk.length === 0) {
    throw new MeshError('E_BAD_ARGUMENT', `channel "${name}": PSK must not be empty (an empty key would mean no encryption)`);
  }
  const nameBytes = Buffer.from(name, 'utf8');
  const key = new Uint8Array(hkdfSync('sha256', psk, KEY_SALT, nameBytes, 32));
  // The hash covers the key too, so channels with the same name but different PSKs rarely collide.
  const digest = createHash('sha256').update(HASH_PREFIX).update(nameBytes).update(new Uint8Array([0])).update(key).digest();
  return Object.freeze({ name, hash: digest[0]!, key });
}

/**
 * The default public channel. Its PSK (the single byte 0x01) is published here and is NOT a
 * secret: it only keeps casual listeners out, exactly like the best-known mesh's default
 * channel. Frames on it are still authenticated against accidental corruption, not against
 * anyone who reads this file.
 */
export const DEFAULT_CHANNEL_NAME = 'Public';
export const DEFAULT_CHANNEL_PSK: Uint8Array = Uint8Array.of(0x01);
export const DEFAULT_CHANNEL: ChannelKey = deriveChannelKey(DEFAULT_CHANNEL_NAME, DEFAULT_CHANNEL_PSK);

/**
 * Channels a node can open, looked up by hash in O(1). A 1-byte hash collides across channels
 * (1 in 256 per pair), so a lookup yields every candidate and the cipher tries each.
 */
export class ChannelSet implements Iterable<ChannelKey> {
  private readonly byHash = new Map<number, ChannelKey[]>();
  private readonly byName = new Map<string, ChannelKey>();

  constructor(channels: Iterable<ChannelKey> = []) {
    for (const c of channels) this.add(c);
  }

  /** Adds a channel; a channel with the same name is replaced (names are how users and config refer to channels). */
  add(channel: ChannelKey): this {
    this.remove(channel.name);
    this.byName.set(channel.name, channel);
    const list = this.byHash.get(channel.hash);
    if (list) list.push(channel);
    else this.byHash.set(channel.hash, [channel]);
    return this;
  }

  remove(name: string): boolean {
    const old = this.byName.get(name);
    if (!old) return false;
    this.byName.delete(name);
    const list = this.byHash.get(old.hash);
    if (list) {
      const rest = list.filter((c) => c !== old);
      if (rest.length > 0) this.byHash.set(old.hash, rest);
      else this.byHash.delete(old.hash);
    }
    return true;
  }

  get(name: string): ChannelKey | undefined {
    return this.byName.get(name);
  }

  /** Channels whose hash is `hash`, in insertion order; empty when none. */
  candidates(hash: number): readonly ChannelKey[] {
    return this.byHash.get(hash) ?? NONE;
  }

  get size(): number {
    return this.byName.size;
  }

  [Symbol.iterator](): Iterator<ChannelKey> {
    return this.byName.values();
  }
}

const NONE: readonly ChannelKey[] = Object.freeze([]);
