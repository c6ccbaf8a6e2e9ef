// What a router has accepted, saved so a restarted node still refuses recordings of frames it took
// before (RouterOptions.replayState): per channel, per sender, the highest authenticated counter.
// Its bytes come back from a disk, so they are parsed like any untrusted input.

import { createHash } from 'node:crypto';
import { MeshError } from '../core/mesh-error.ts';
import type { ChannelKey } from '../crypto/channel-key.ts';
import { DEFAULT_REPLAY_SENDERS } from './replay-window.ts';

export interface ReplaySnapshot {
  /** The node that saved it: another node's state says nothing about what this one accepted. */
  nodeId: number;
  channels: ReplayChannelState[];
}

export interface ReplayChannelState {
  /** `replayChannelTag` of the channel, never its key. */
  tag: string;
  /** [sender, highest counter accepted], least recently heard first. */
  senders: Array<[from: number, top: number]>;
}

const VERSION = 1;
const TAG_BYTES = 16;
/** A node listens on a handful of channels; the bound keeps a forged row from costing memory. */
export const MAX_SNAPSHOT_CHANNELS = 255;

/**
 * Names a channel in a snapshot without putting its key on disk in clear: windows are kept per
 * key (two channels may share a name), and the key is the channel's secret. A one-way digest
 * reveals no more than any frame heard on the channel already does.
 */
export function replayChannelTag(channel: ChannelKey): string {
  return createHash('sha256').update('unibos/replay-channel/v1').update(channel.key).digest().subarray(0, TAG_BYTES).toString('hex');
}

/** version u8, node u32, channels u8, then per channel: tag (16 bytes), senders u16, [from u32, top u32]... */
export function encodeReplaySnapshot(snapshot: ReplaySnapshot): Uint8Array {
  // What parsing would refuse is refused here too, rather than written truncated.
  if (snapshot.channels.length > MAX_SNAPSHOT_CHANNELS || snapshot.channels.some((c) => c.senders.length > DEFAULT_REPLAY_SENDERS || !/^[0-9a-f]{32}$/.test(c.tag))) {
    throw new MeshError('E_BAD_ARGUMENT', `a replay snapshot holds at most ${MAX_SNAPSHOT_CHANNELS} channels of ${DEFAULT_REPLAY_SENDERS} senders, each tagged by 16 bytes`);
  }
  const size = 6 + snapshot.channels.reduce((n, c) => n + TAG_BYTES + 2 + c.senders.length * 8, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, VERSION);
  view.setUint32(1, snapshot.nodeId);
  view.setUint8(5, snapshot.channels.length);
  let at = 6;
  for (const c of snapshot.channels) {
    bytes.set(Buffer.from(c.tag, 'hex'), at);
    view.setUint16(at + TAG_BYTES, c.senders.length);
    at += TAG_BYTES + 2;
    for (const [from, top] of c.senders) {
      view.setUint32(at, from);
      view.setUint32(at + 4, top);
      at += 8;
    }
  }
  return bytes;
}

export type ParsedReplaySnapshot = { ok: true; snapshot: ReplaySnapshot } | { ok: false; reason: string };

/** Parses saved bytes; anything but exactly what `encodeReplaySnapshot` writes is refused with a reason. */
export function parseReplaySnapshot(bytes: Uint8Array): ParsedReplaySnapshot {
  const refuse = (reason: string): ParsedReplaySnapshot => ({ ok: false, reason });
  if (bytes.length < 6) return refuse(`${bytes.length} bytes, shorter than a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== VERSION) return refuse(`version ${view.getUint8(0)}, not ${VERSION}`);
  const nodeId = view.getUint32(1);
  const count = view.getUint8(5);
  const channels: ReplayChannelState[] = [];
  const tags = new Set<string>();
  let at = 6;
  for (let i = 0; i < count; i++) {
    if (at + TAG_BYTES + 2 > bytes.length) return refuse(`channel ${i} is cut short`);
    const tag = Buffer.from(bytes.subarray(at, at + TAG_BYTES)).toString('hex');
    const n = view.getUint16(at + TAG_BYTES);
    at += TAG_BYTES + 2;
    if (tags.has(tag)) return refuse(`channel ${tag} appears twice`);
    tags.add(tag);
    if (n > DEFAULT_REPLAY_SENDERS) return refuse(`channel ${i} has ${n} senders, more than ${DEFAULT_REPLAY_SENDERS}`);
    if (at + n * 8 > bytes.length) return refuse(`channel ${i} is cut short`);
    const senders: Array<[number, number]> = [];
    for (let j = 0; j < n; j++, at += 8) senders.push([view.getUint32(at), view.getUint32(at + 4)]);
    channels.push({ tag, senders });
  }
  if (at !== bytes.length) return refuse(`${bytes.length - at} bytes after the last channel`);
  return { ok: true, snapshot: { nodeId, channels } };
}
