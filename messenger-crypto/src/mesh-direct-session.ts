// A compact Double Ratchet session with a mesh node (or from one). Nodes have no prekeys, only an
// X25519 identity key whose hash is their node id, so the handshake is the X3DH shape without
// prekeys: SK = HKDF(F || DH(IK_A, IK_B)), and the sender's ephemeral key doubles as its first
// ratchet key, so the first root step mixes in DH(EK_A, IK_B). From the first reply on, it is the
// full Double Ratchet (forward secrecy and post-compromise security) with u16 counters and the
// short headers of mesh-direct-message.ts.

import { concatBytes } from '@noble/hashes/utils.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { diffieHellman, newX25519KeyPair, type KeyPair } from './curve-keys.ts';
import { DoubleRatchet, type RatchetBounds, type RatchetHeader } from './double-ratchet.ts';
import { encodeMeshHeader, type MeshDirectMessage } from './mesh-direct-message.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import type { RandomSource } from './random-source.ts';
import { x3dhSecret } from './ratchet-kdf.ts';
import { AEAD_TAG_BYTES } from './message-aead.ts';
import { asArray, asBoolean, asBytes, asRecord, asVersion, b64, type JsonRecord } from './state-json.ts';

const DOMAIN = 'UNIBOS mesh direct v1';
const HANDSHAKE_INFO = 'UNIBOS mesh direct v1 handshake';
// Counters are u16 on the wire; 0xfffe keeps `pn` (messages in the previous chain) within u16 too.
const MESH_BOUNDS: RatchetBounds = { maxSkip: 256, maxStoredSkipped: 256, maxCounter: 0xfffe };
// How many opened SHORT messages are remembered (by their 16-byte AEAD tag) so a repeat is named a
// replay. Their one-byte chain tag cannot say which chain they belong to, so nothing else can.
const REMEMBERED_SHORT_TAGS = 64;

export class MeshDirectSession {
  private constructor(
    private readonly ratchet: DoubleRatchet,
    readonly remoteIdentityKey: Uint8Array,
    private readonly associatedData: Uint8Array,
    /** Our identity key while we started the session and have no reply yet (INIT form). */
    private pendingInit: Uint8Array | null,
    /** The initiator's ephemeral key: names the handshake so repeated INITs find this session. */
    readonly baseKey: Uint8Array,
    /** AEAD tags (base64url) of the last SHORT messages opened, oldest first. */
    private readonly openedShortTags: string[] = [],
  ) {}

  static initiate(ourIdentity: KeyPair, theirIdentityKey: Uint8Array, random: RandomSource): MeshDirectSession {
    const ephemeral = newX25519KeyPair(random);
    const sharedSecret = x3dhSecret([diffieHellman(ourIdentity.secretKey, theirIdentityKey)], HANDSHAKE_INFO);
    const ratchet = DoubleRatchet.initSender({ sharedSecret, theirRatchetKey: theirIdentityKey, ourRatchetKey: ephemeral, domain: DOMAIN, bounds: MESH_BOUNDS, random });
    return new MeshDirectSession(ratchet, theirIdentityKey, concatBytes(ourIdentity.publicKey, theirIdentityKey), ourIdentity.publicKey, ephemeral.publicKey);
  }

  static respond(ourIdentity: KeyPair, m: Extract<MeshDirectMessage, { form: 'init' }>, random: RandomSource): { session: MeshDirectSession; plaintext: Uint8Array } {
    const sharedSecret = x3dhSecret([diffieHellman(ourIdentity.secretKey, m.identityKey)], HANDSHAKE_INFO);
    const ratchet = DoubleRatchet.initReceiver({ sharedSecret, ourRatchetKey: { secretKey: ourIdentity.secretKey.slice(), publicKey: ourIdentity.publicKey.slice() }, domain: DOMAIN, bounds: MESH_BOUNDS, random });
    const ad = concatBytes(m.identityKey, ourIdentity.publicKey);
    const plaintext = ratchet.decrypt({ dh: m.ratchetKey, pn: 0, n: m.n }, m.headerBytes, m.sealed, ad);
    return { session: new MeshDirectSession(ratchet, m.identityKey, ad, null, m.ratchetKey), plaintext };
  }

  get awaitingReply(): boolean {
    return this.pendingInit !== null;
  }

  /** Started by us and nothing sent on it yet: its first message will be an INIT. */
  get unused(): boolean {
    return this.pendingInit !== null && this.ratchet.peekHeader().n === 0;
  }

  /** The overhead the next message will have (INIT, STEP or SHORT), known before encrypting. */
  nextForm(): 'init' | 'step' | 'short' {
    if (this.pendingInit) return 'init';
    return this.ratchet.peekHeader().n === 0 ? 'step' : 'short';
  }

  matchesHandshake(m: MeshDirectMessage): boolean {
    return m.form === 'init' && equalBytes(m.ratchetKey, this.baseKey) && equalBytes(m.identityKey, this.remoteIdentityKey);
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    const pending = this.pendingInit;
    const { headerBytes, sealed } = this.ratchet.encrypt(plaintext, this.associatedData, (h: RatchetHeader) => {
      if (pending) return encodeMeshHeader({ form: 'init', identityKey: pending, ratchetKey: h.dh, n: h.n });
      if (h.n === 0) return encodeMeshHeader({ form: 'step', ratchetKey: h.dh, pn: h.pn, n: h.n });
      return encodeMeshHeader({ form: 'short', chainTag: h.dh[0]!, n: h.n });
    });
    return concatBytes(headerBytes, sealed);
  }

  decrypt(m: MeshDirectMessage): Uint8Array {
    let plaintext: Uint8Array;
    if (m.form === 'init') {
      if (!this.matchesHandshake(m)) throw new MessengerCryptoError('E_DECRYPT_FAILED', 'this first message belongs to another handshake');
      plaintext = this.ratchet.decrypt({ dh: m.ratchetKey, pn: 0, n: m.n }, m.headerBytes, m.sealed, this.associatedData);
    } else if (m.form === 'step') {
      plaintext = this.ratchet.decrypt({ dh: m.ratchetKey, pn: m.pn, n: m.n }, m.headerBytes, m.sealed, this.associatedData);
    } else {
      plaintext = this.decryptShort(m);
    }
    this.pendingInit = null;
    return plaintext;
  }

  toJSON(): JsonRecord {
    return { v: 1, ratchet: this.ratchet.toJSON(), remoteIdentityKey: b64(this.remoteIdentityKey), associatedData: b64(this.associatedData), awaitingReply: this.pendingInit !== null, baseKey: b64(this.baseKey), openedShortTags: [...this.openedShortTags] };
  }

  static fromJSON(json: unknown, random: RandomSource): MeshDirectSession {
    const j = asRecord(json, 'meshSession');
    asVersion(j.v, 'meshSession.v', 1);
    const ad = asBytes(j.associatedData, 'meshSession.associatedData', 64);
    return new MeshDirectSession(
      DoubleRatchet.fromJSON(j.ratchet, { domain: DOMAIN, bounds: MESH_BOUNDS, random }),
      asBytes(j.remoteIdentityKey, 'meshSession.remoteIdentityKey', 32),
      ad,
      asBoolean(j.awaitingReply, 'meshSession.awaitingReply') ? ad.slice(0, 32) : null,
      asBytes(j.baseKey, 'meshSession.baseKey', 32),
      // States saved before this list existed have none.
      j.openedShortTags === undefined ? [] : asArray(j.openedShortTags, 'meshSession.openedShortTags').map((v, i) => b64(asBytes(v, `meshSession.openedShortTags[${i}]`, AEAD_TAG_BYTES))).slice(-REMEMBERED_SHORT_TAGS),
    );
  }

  private decryptShort(m: Extract<MeshDirectMessage, { form: 'short' }>): Uint8Array {
    // The one-byte tag picks the chain, but a chain whose first message has not arrived yet may share
    // its tag with one we know (one in eight after 32 chains), and every verdict short of an
    // authenticated open (replay, too far ahead, does not authenticate) is then about the wrong
    // chain. So: only an authenticating candidate changes the state; a repeat of a message opened
    // here is a replay; anything else may be early and is kept by the caller (it is bounded there).
    const tag = b64(m.sealed.subarray(m.sealed.length - AEAD_TAG_BYTES));
    for (const dh of this.ratchet.candidateReceivingKeys()) {
      if (dh[0] !== m.chainTag) continue;
      try {
        const plaintext = this.ratchet.decrypt({ dh, pn: 0, n: m.n }, m.headerBytes, m.sealed, this.associatedData);
        this.openedShortTags.push(tag);
        if (this.openedShortTags.length > REMEMBERED_SHORT_TAGS) this.openedShortTags.shift();
        return plaintext;
      } catch {
        // Another chain with the same tag may be the one.
      }
    }
    if (this.openedShortTags.includes(tag)) throw new MessengerCryptoError('E_REPLAY', 'this message was already received: refused as a replay');
    throw new MessengerCryptoError('E_EARLY_MESSAGE', 'this message opens under no chain known here: it continues a chain whose first message has not arrived yet (keep it and try again after the next message from this node), or it was altered');
  }
}
