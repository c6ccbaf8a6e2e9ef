// A device's 1:1 sessions with every other device it talks to, keyed by a device address the
// client chooses (e.g. "userId/deviceId"), with the trust store on every path: a bundle or a first
// message carrying a changed identity key is refused with E_KEY_CHANGED until the user accepts it.
// This is what clients use to fill the contract's per-device `envelopes`.

import { fromBase64url, toBase64url } from './base64url.ts';
import { verifyDeviceBundle } from './device-bundle.ts';
import type { DeviceIdentity } from './device-identity.ts';
import { HandshakeMemory } from './handshake-memory.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { PairwiseSession } from './pairwise-session.ts';
import { decodeRatchetMessage } from './ratchet-message.ts';
import { asArray, asRecord, asString, asVersion, type JsonRecord } from './state-json.ts';
import type { TrustStore } from './trust-store.ts';

/** A device as the hub's bundles endpoint returns it. */
export interface FetchedDeviceBundle {
  identityKey: string;
  signingKey: string;
  signedPrekey: { keyId: number; publicKey: string; signature: string };
  oneTimePrekey: { keyId: number; publicKey: string } | null;
}

// Sessions replaced by a newer handshake are kept this long, for their messages still in flight.
const PREVIOUS_SESSIONS_KEPT = 2;
// Base keys of handshakes answered, remembered per sending device (by its identity key) after their
// session is gone, so a replayed first message (one made without a one-time prekey, which nothing
// else stops) is refused.
const HANDSHAKES_KEPT_PER_DEVICE = 64;
// The one list state saved before they were kept per device held at most this many.
const LEGACY_HANDSHAKES_KEPT = 1000;

interface Entry {
  current: PairwiseSession;
  previous: PairwiseSession[];
}

export class PairwiseSessions {
  private readonly sessions = new Map<string, Entry>();
  /** Base keys (base64url) of the handshakes this device answered, per device address (bounded). */
  private handshakes = new HandshakeMemory(HANDSHAKES_KEPT_PER_DEVICE);

  constructor(
    private readonly device: DeviceIdentity,
    private readonly trust: TrustStore,
  ) {}

  hasSession(address: string): boolean {
    return this.sessions.has(address);
  }

  /** Checks a fetched bundle (signature, trust) and starts a session with that device. */
  startSession(address: string, fetched: FetchedDeviceBundle): void {
    const check = verifyDeviceBundle({ identityKey: fetched.identityKey, signingKey: fetched.signingKey, signedPrekey: fetched.signedPrekey, oneTimePrekeys: fetched.oneTimePrekey ? [fetched.oneTimePrekey] : [] });
    if (!check.ok) throw new MessengerCryptoError('E_BAD_SIGNATURE', `the bundle of device ${address} is not valid (${check.code}: ${check.reason}); no session was started`, { address, bundleCode: check.code });
    const identityKey = fromBase64url(check.bundle.identityKey);
    this.trust.require(address, identityKey);
    this.install(address, PairwiseSession.initiate(this.device, check.bundle));
    this.trust.pinIfNew(address, identityKey);
  }

  /** One message for one device, as base64url for the contract's `envelopes[].ciphertext`. */
  encrypt(address: string, plaintext: Uint8Array): string {
    const entry = this.sessions.get(address);
    if (!entry) throw new MessengerCryptoError('E_NO_SESSION', `no session with device ${address}: fetch its bundle and start one`, { address });
    this.trust.require(address, entry.current.remoteIdentityKey);
    return toBase64url(entry.current.encrypt(plaintext));
  }

  /** The same plaintext for several devices: the contract's `envelopes`. */
  encryptForDevices(addresses: { address: string; deviceId: string }[], plaintext: Uint8Array): { deviceId: string; ciphertext: string }[] {
    return addresses.map((d) => ({ deviceId: d.deviceId, ciphertext: this.encrypt(d.address, plaintext) }));
  }

  /**
   * Opens an envelope from `address`. A prekey message from an unpinned or unchanged identity
   * starts (or continues) a session; from a changed identity it is refused with E_KEY_CHANGED,
   * and can be opened after `trust.acceptKeyChange`.
   */
  decrypt(address: string, ciphertext: string): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = fromBase64url(ciphertext);
    } catch {
      throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the envelope is not base64url');
    }
    const m = decodeRatchetMessage(bytes);
    const entry = this.sessions.get(address);
    if (m.prekey) {
      const existing = entry && [entry.current, ...entry.previous].find((s) => s.matchesHandshake(m));
      this.trust.require(address, m.prekey.identityKey);
      if (existing) return existing.decrypt(m);
      // Remembered by the key that made the handshake, which the hub cannot change, not by the
      // address the hub files it under: played back under another user's name it is still known.
      const handshake = toBase64url(m.prekey.baseKey);
      const sender = toBase64url(m.prekey.identityKey);
      if (this.handshakes.seen(sender, handshake)) throw new MessengerCryptoError('E_REPLAY', 'this first message was already received: refused as a replay', { address });
      const { session, plaintext } = PairwiseSession.respond(this.device, m);
      this.handshakes.remember(sender, handshake);
      this.install(address, session);
      this.trust.pinIfNew(address, m.prekey.identityKey);
      return plaintext;
    }
    if (!entry) throw new MessengerCryptoError('E_NO_SESSION', `no session with device ${address}, and this message does not start one (it may have been reset)`, { address });
    this.trust.require(address, entry.current.remoteIdentityKey);
    let firstError: unknown;
    for (const session of [entry.current, ...entry.previous]) {
      try {
        const plaintext = session.decrypt(m);
        // The session the other side writes in becomes ours too, so two devices that started
        // sessions to each other at the same time settle on one.
        if (session !== entry.current) this.install(address, session);
        return plaintext;
      } catch (e) {
        firstError ??= e;
        if (!(e instanceof MessengerCryptoError) || e.code !== 'E_DECRYPT_FAILED') throw e;
      }
    }
    throw firstError;
  }

  /** Forgets every session with a device (e.g. it was removed); the trust pin stays. */
  forget(address: string): void {
    this.sessions.delete(address);
  }

  toJSON(): JsonRecord {
    return { v: 1, sessions: [...this.sessions].map(([address, e]) => ({ address, current: e.current.toJSON(), previous: e.previous.map((s) => s.toJSON()) })), ...this.handshakes.toJSON() };
  }

  static fromJSON(json: unknown, device: DeviceIdentity, trust: TrustStore): PairwiseSessions {
    const j = asRecord(json, 'sessions');
    asVersion(j.v, 'sessions.v', 1);
    const out = new PairwiseSessions(device, trust);
    asArray(j.sessions, 'sessions.sessions').forEach((v, i) => {
      const r = asRecord(v, `sessions.sessions[${i}]`);
      out.sessions.set(asString(r.address, `sessions.sessions[${i}].address`), {
        current: PairwiseSession.fromJSON(r.current, { random: device.randomSource }),
        previous: asArray(r.previous, `sessions.sessions[${i}].previous`).map((p) => PairwiseSession.fromJSON(p, { random: device.randomSource })),
      });
    });
    // Per device since handshakesByPeer came; `handshakes`, the one list before it, is still checked.
    out.handshakes = HandshakeMemory.fromJSON(j.handshakesByPeer, j.handshakes, HANDSHAKES_KEPT_PER_DEVICE, LEGACY_HANDSHAKES_KEPT, 'sessions');
    return out;
  }

  private install(address: string, session: PairwiseSession): void {
    const entry = this.sessions.get(address);
    if (!entry) {
      this.sessions.set(address, { current: session, previous: [] });
      return;
    }
    entry.previous = [entry.current, ...entry.previous].filter((s) => s !== session).slice(0, PREVIOUS_SESSIONS_KEPT);
    entry.current = session;
  }
}
