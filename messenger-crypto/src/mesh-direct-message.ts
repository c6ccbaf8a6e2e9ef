// The compact wire format of an end-to-end encrypted direct message to or from a mesh node, sized
// to ride in one LoRa frame's Data payload (222 bytes) with room to spare. Byte 0 is
// version (high nibble, 1) | form (low nibble); counters are u16 big-endian:
//
//   INIT  (1): 0 | sender identity key (32) | sender ephemeral = first ratchet key (32) | n (2) | sealed
//              sent until the first reply arrives                                    overhead 83 bytes
//   STEP  (2): 0 | new ratchet key (32) | pn (2) | n (2) | sealed
//              the first message of a new sending chain (after a reply)             overhead 53 bytes
//   SHORT (3): 0 | chain tag = first byte of the chain's ratchet key (1) | n (2) | sealed
//              every further message of that chain                                  overhead 20 bytes
//
// sealed = XChaCha20-Poly1305 ciphertext || 16-byte tag; associated data = both identity keys ||
// every header byte. For comparison, Meshtastic's PKI direct messages add 12 bytes (AES-CCM, 8-byte
// tag, 4-byte nonce) but have no forward secrecy; these add 20 on most messages and keep it.

// The limits alone (no Node-only modules): this file is in the browser's messenger bundle too.
import { MESH_DIRECT_MAX_BYTES } from '@unibos/mesh-protocol/text-limits';
import { AEAD_TAG_BYTES } from './message-aead.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';

export const MESH_DIRECT_VERSION = 1;
export const FORM_INIT = 1;
export const FORM_STEP = 2;
export const FORM_SHORT = 3;

export const MESH_INIT_OVERHEAD_BYTES = 1 + 32 + 32 + 2 + AEAD_TAG_BYTES;
export const MESH_STEP_OVERHEAD_BYTES = 1 + 32 + 2 + 2 + AEAD_TAG_BYTES;
export const MESH_SHORT_OVERHEAD_BYTES = 1 + 1 + 2 + AEAD_TAG_BYTES;
/** The largest encoded direct message (mesh-protocol's frame limits: 22 of the frame's 222 Data bytes stay for the protobuf wrapping). */
export { MESH_DIRECT_MAX_BYTES };
/** The longest text (UTF-8 bytes) a direct message can carry in any form, so the limit a user sees never depends on session state. */
export const MESH_DIRECT_MAX_TEXT_BYTES = MESH_DIRECT_MAX_BYTES - MESH_INIT_OVERHEAD_BYTES;

export type MeshDirectMessage =
  | { form: 'init'; identityKey: Uint8Array; ratchetKey: Uint8Array; n: number; headerBytes: Uint8Array; sealed: Uint8Array }
  | { form: 'step'; ratchetKey: Uint8Array; pn: number; n: number; headerBytes: Uint8Array; sealed: Uint8Array }
  | { form: 'short'; chainTag: number; n: number; headerBytes: Uint8Array; sealed: Uint8Array };

export function encodeMeshHeader(m: { form: 'init'; identityKey: Uint8Array; ratchetKey: Uint8Array; n: number } | { form: 'step'; ratchetKey: Uint8Array; pn: number; n: number } | { form: 'short'; chainTag: number; n: number }): Uint8Array {
  if (m.form === 'init') {
    const out = new Uint8Array(MESH_INIT_OVERHEAD_BYTES - AEAD_TAG_BYTES);
    out[0] = (MESH_DIRECT_VERSION << 4) | FORM_INIT;
    out.set(m.identityKey, 1);
    out.set(m.ratchetKey, 33);
    new DataView(out.buffer).setUint16(65, m.n);
    return out;
  }
  if (m.form === 'step') {
    const out = new Uint8Array(MESH_STEP_OVERHEAD_BYTES - AEAD_TAG_BYTES);
    out[0] = (MESH_DIRECT_VERSION << 4) | FORM_STEP;
    out.set(m.ratchetKey, 1);
    new DataView(out.buffer).setUint16(33, m.pn);
    new DataView(out.buffer).setUint16(35, m.n);
    return out;
  }
  const out = new Uint8Array(MESH_SHORT_OVERHEAD_BYTES - AEAD_TAG_BYTES);
  out[0] = (MESH_DIRECT_VERSION << 4) | FORM_SHORT;
  out[1] = m.chainTag;
  new DataView(out.buffer).setUint16(2, m.n);
  return out;
}

/** Parses untrusted bytes from the mesh; anything malformed throws a MessengerCryptoError. */
export function parseMeshDirect(bytes: Uint8Array): MeshDirectMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'an empty mesh direct message');
  if (bytes.length > MESH_DIRECT_MAX_BYTES) throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', `a mesh direct message is at most ${MESH_DIRECT_MAX_BYTES} bytes`);
  const version = bytes[0]! >> 4;
  const form = bytes[0]! & 0x0f;
  if (version !== MESH_DIRECT_VERSION) throw new MessengerCryptoError('E_UNSUPPORTED_VERSION', `mesh direct message version ${version} is not supported`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (overhead: number) => {
    if (bytes.length < overhead) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a mesh direct message is too short for its header and tag');
    return overhead - AEAD_TAG_BYTES;
  };
  if (form === FORM_INIT) {
    const h = need(MESH_INIT_OVERHEAD_BYTES);
    return { form: 'init', identityKey: bytes.slice(1, 33), ratchetKey: bytes.slice(33, 65), n: view.getUint16(65), headerBytes: bytes.slice(0, h), sealed: bytes.slice(h) };
  }
  if (form === FORM_STEP) {
    const h = need(MESH_STEP_OVERHEAD_BYTES);
    return { form: 'step', ratchetKey: bytes.slice(1, 33), pn: view.getUint16(33), n: view.getUint16(35), headerBytes: bytes.slice(0, h), sealed: bytes.slice(h) };
  }
  if (form === FORM_SHORT) {
    const h = need(MESH_SHORT_OVERHEAD_BYTES);
    return { form: 'short', chainTag: bytes[1]!, n: view.getUint16(2), headerBytes: bytes.slice(0, h), sealed: bytes.slice(h) };
  }
  throw new MessengerCryptoError('E_MESSAGE_MALFORMED', `unknown mesh direct message form ${form}`);
}
