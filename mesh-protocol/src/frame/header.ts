// The fixed 20-byte frame header: reading, writing, the authenticated part, and relay patching.
// Layout and rationale: proto/frame.proto and README "Wire format".

import { MeshError } from '../core/mesh-error.ts';
import { MESH_MAX_FRAME } from '../phy/lora-params.ts';

export interface FrameHeader {
  /** Destination node number; BROADCAST for everyone. */
  to: number;
  from: number;
  /** Packet id, never 0. */
  id: number;
  /** Hops left; relays decrement it. Not authenticated. */
  hopLimit: number;
  /** hop_limit at the original sender, so receivers know how far the frame came. */
  hopStart: number;
  wantAck: boolean;
  /** Set on frames that came from MQTT, so gateways never uplink them again. Not authenticated. */
  viaMqtt: boolean;
  channelHash: number;
  /** Last byte of the node asked to relay; 0 = anyone. Not authenticated. */
  nextHop: number;
  /** Last byte of the node that transmitted this copy. Not authenticated. */
  relayNode: number;
  /** The sender's monotonic frame counter: nonce material. */
  counter: number;
}

export const BROADCAST = 0xffff_ffff;
export const HEADER_SIZE = 20;
export const TAG_SIZE = 8;
export const FRAME_OVERHEAD = HEADER_SIZE + TAG_SIZE;
export const MAX_DATA_BYTES = MESH_MAX_FRAME - FRAME_OVERHEAD;
export const MAX_HOP_LIMIT = 7;
export const DEFAULT_HOP_LIMIT = 3;

/** Size of the associated data: to, from, id, immutable flags, channel hash. */
export const AAD_SIZE = 14;

const FLAG_HOP_LIMIT = 0x07;
const FLAG_WANT_ACK = 0x08;
const FLAG_VIA_MQTT = 0x10;
const HOP_START_SHIFT = 5;
/** want_ack and hop_start: the flag bits relays must not touch. */
const FLAG_IMMUTABLE = 0xe8;

export function lastByte(nodeNum: number): number {
  return nodeNum & 0xff;
}

/** Writes `h` into out[0..20). Throws E_BAD_HEADER for values the wire cannot carry or a receiver would refuse. */
export function writeHeader(h: FrameHeader, out: Uint8Array): void {
  if (out.length < HEADER_SIZE) throw new MeshError('E_BAD_ARGUMENT', `header needs ${HEADER_SIZE} bytes, buffer has ${out.length}`);
  checkU32(h.to, 'to');
  checkU32(h.from, 'from');
  checkU32(h.id, 'id');
  checkU32(h.counter, 'counter');
  checkU8(h.channelHash, 'channelHash');
  checkU8(h.nextHop, 'nextHop');
  checkU8(h.relayNode, 'relayNode');
  if (!Number.isInteger(h.hopStart) || !Number.isInteger(h.hopLimit)) throw new MeshError('E_BAD_HEADER', 'hop counts must be integers');
  checkSemantics(h.from, h.id, h.hopLimit, h.hopStart);
  putU32(out, 0, h.to);
  putU32(out, 4, h.from);
  putU32(out, 8, h.id);
  out[12] =
    h.hopLimit | (h.wantAck ? FLAG_WANT_ACK : 0) | (h.viaMqtt ? FLAG_VIA_MQTT : 0) | (h.hopStart << HOP_START_SHIFT);
  out[13] = h.channelHash;
  out[14] = h.nextHop;
  out[15] = h.relayNode;
  putU32(out, 16, h.counter);
}

/** Parses and validates the header of a whole frame (header + ciphertext + tag). */
export function readHeader(frame: Uint8Array): FrameHeader {
  return readHeaderInto(frame, {
    to: 0,
    from: 0,
    id: 0,
    hopLimit: 0,
    hopStart: 0,
    wantAck: false,
    viaMqtt: false,
    channelHash: 0,
    nextHop: 0,
    relayNode: 0,
    counter: 0,
  });
}

/** readHeader into an object the caller reuses (the router's duplicate path allocates nothing). */
export function readHeaderInto(frame: Uint8Array, h: FrameHeader): FrameHeader {
  checkFrameSize(frame);
  const flags = frame[12]!;
  h.to = getU32(frame, 0);
  h.from = getU32(frame, 4);
  h.id = getU32(frame, 8);
  h.hopLimit = flags & FLAG_HOP_LIMIT;
  h.hopStart = flags >>> HOP_START_SHIFT;
  h.wantAck = (flags & FLAG_WANT_ACK) !== 0;
  h.viaMqtt = (flags & FLAG_VIA_MQTT) !== 0;
  h.channelHash = frame[13]!;
  h.nextHop = frame[14]!;
  h.relayNode = frame[15]!;
  h.counter = getU32(frame, 16);
  checkSemantics(h.from, h.id, h.hopLimit, h.hopStart);
  return h;
}

/** Sender and packet id of a frame that has a header, read before anything else (dedup first). */
export function frameSender(frame: Uint8Array): number {
  return getU32(frame, 4);
}

export function framePacketId(frame: Uint8Array): number {
  return getU32(frame, 8);
}

/**
 * True when two frames carry the same sealed content: every authenticated byte, the counter,
 * the ciphertext and the tag are equal; only what relays may change (hop limit, via-MQTT, next
 * hop, relay node) differs. A copy equal to one that authenticated needs no key to trust.
 */
export function sameSealedFrame(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length || n < FRAME_OVERHEAD) return false;
  for (let i = 0; i < 12; i++) if (a[i] !== b[i]) return false;
  if ((a[12]! & FLAG_IMMUTABLE) !== (b[12]! & FLAG_IMMUTABLE) || a[13] !== b[13]) return false;
  for (let i = 16; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The CCM associated data: bytes 0..11, the immutable flag bits, the channel hash.
 * Written into `out` when given (the cipher reuses one buffer per process), else a new array.
 */
export function associatedData(frame: Uint8Array, out: Uint8Array = new Uint8Array(AAD_SIZE)): Uint8Array {
  if (frame.length < HEADER_SIZE) throw new MeshError('E_FRAME_TOO_SHORT', `frame of ${frame.length} bytes has no header`);
  for (let i = 0; i < 12; i++) out[i] = frame[i]!;
  out[12] = frame[12]! & FLAG_IMMUTABLE;
  out[13] = frame[13]!;
  return out;
}

export interface RelayPatch {
  hopLimit: number;
  relayNode: number;
  nextHop?: number;
  viaMqtt?: boolean;
}

/** A copy of `frame` with the unauthenticated fields changed; the ciphertext is untouched, so no key is needed. */
export function relayCopy(frame: Uint8Array, patch: RelayPatch): Uint8Array {
  const h = readHeader(frame);
  if (!Number.isInteger(patch.hopLimit) || patch.hopLimit < 0 || patch.hopLimit > h.hopStart) {
    throw new MeshError('E_BAD_ARGUMENT', `hopLimit ${patch.hopLimit} outside 0..hopStart (${h.hopStart})`);
  }
  if (!isU8(patch.relayNode)) throw new MeshError('E_BAD_ARGUMENT', `relayNode ${patch.relayNode} is not a byte`);
  if (patch.nextHop !== undefined && !isU8(patch.nextHop)) {
    throw new MeshError('E_BAD_ARGUMENT', `nextHop ${patch.nextHop} is not a byte`);
  }
  const copy = frame.slice();
  const viaMqtt = patch.viaMqtt ?? h.viaMqtt;
  copy[12] = (frame[12]! & FLAG_IMMUTABLE) | patch.hopLimit | (viaMqtt ? FLAG_VIA_MQTT : 0);
  if (patch.nextHop !== undefined) copy[14] = patch.nextHop;
  copy[15] = patch.relayNode;
  return copy;
}

/** Size limits of a whole frame; shared with the cipher so both report the same codes. */
export function checkFrameSize(frame: Uint8Array): void {
  if (frame.length > MESH_MAX_FRAME) {
    throw new MeshError('E_FRAME_TOO_LARGE', `frame of ${frame.length} bytes exceeds the mesh's ${MESH_MAX_FRAME}`);
  }
  if (frame.length < FRAME_OVERHEAD) {
    throw new MeshError('E_FRAME_TOO_SHORT', `frame of ${frame.length} bytes is shorter than header + tag (${FRAME_OVERHEAD})`);
  }
}

// `to` is unconstrained: any node number or BROADCAST.
function checkSemantics(from: number, id: number, hopLimit: number, hopStart: number): void {
  if (hopStart < 0 || hopStart > MAX_HOP_LIMIT) throw new MeshError('E_BAD_HEADER', `hop_start ${hopStart} outside 0..${MAX_HOP_LIMIT}`);
  if (hopLimit < 0 || hopLimit > hopStart) throw new MeshError('E_BAD_HEADER', `hop_limit ${hopLimit} exceeds hop_start ${hopStart}`);
  if (from === 0 || from === BROADCAST) throw new MeshError('E_BAD_HEADER', `invalid sender ${from}`);
  if (id === 0) throw new MeshError('E_BAD_HEADER', 'packet id 0');
}

function checkU32(v: number, name: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new MeshError('E_BAD_HEADER', `${name} ${v} is not a u32`);
}

function checkU8(v: number, name: string): void {
  if (!isU8(v)) throw new MeshError('E_BAD_HEADER', `${name} ${v} is not a byte`);
}

function isU8(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xff;
}

function putU32(out: Uint8Array, off: number, v: number): void {
  out[off] = v & 0xff;
  out[off + 1] = (v >>> 8) & 0xff;
  out[off + 2] = (v >>> 16) & 0xff;
  out[off + 3] = (v >>> 24) & 0xff;
}

function getU32(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}
