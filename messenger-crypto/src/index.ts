// @unibos/messenger-crypto: the messenger's end-to-end encryption, isomorphic (Node and browser).

export { MessengerCryptoError, isMessengerCryptoError, type MessengerErrorCode } from './messenger-crypto-error.ts';
export { toBase64url, fromBase64url, fromBase64urlExact } from './base64url.ts';
export { MESSENGER_LIMITS, type MessengerLimits } from './messenger-limits.ts';
export { CHANNEL_MEMBER_KINDS, maySendInChannel } from './channel-permissions.ts';
export {
  type PublishedDeviceBundle,
  type BundleCheck,
  verifyDeviceBundle,
  signedPrekeyTranscript,
  signSignedPrekey,
  verifySignedPrekey,
} from './device-bundle.ts';
export { type RandomSource, systemRandom } from './random-source.ts';
export { DeviceIdentity, type DeviceIdentityJson } from './device-identity.ts';
export { DoubleRatchet, DEFAULT_RATCHET_BOUNDS, type RatchetHeader, type RatchetBounds } from './double-ratchet.ts';
export {
  decodeRatchetMessage,
  MESSAGE_OVERHEAD_BYTES,
  PREKEY_MESSAGE_OVERHEAD_BYTES,
  MAX_MESSAGE_PLAINTEXT_BYTES,
  type RatchetMessage,
  type PrekeyHeader,
} from './ratchet-message.ts';
export { PairwiseSession } from './pairwise-session.ts';
export { safetyNumber, formatSafetyNumber, type SafetyNumberParty } from './safety-number.ts';
export { TrustStore, type TrustStatus } from './trust-store.ts';
export { PairwiseSessions, type FetchedDeviceBundle } from './pairwise-sessions.ts';
export { GroupSession, type Rekey, type SenderStanding } from './group-session.ts';
export { GROUP_MESSAGE_OVERHEAD_BYTES, MAX_GROUP_PLAINTEXT_BYTES, decodeGroupMessage, decodeSenderKeyDistribution } from './sender-key.ts';
export { meshNodeIdFromPublicKey, meshNodeAddress } from './mesh-node-id.ts';
export {
  parseMeshDirect,
  MESH_DIRECT_MAX_BYTES,
  MESH_DIRECT_MAX_TEXT_BYTES,
  MESH_INIT_OVERHEAD_BYTES,
  MESH_STEP_OVERHEAD_BYTES,
  MESH_SHORT_OVERHEAD_BYTES,
  type MeshDirectMessage,
} from './mesh-direct-message.ts';
export { MeshDirectSession } from './mesh-direct-session.ts';
export { MeshDirectEndpoint, encodeMeshDirect, decodeMeshDirect, type MeshPeer } from './mesh-direct-endpoint.ts';
export { newX25519KeyPair, newEd25519KeyPair, type KeyPair } from './curve-keys.ts';
export { encryptAttachment, decryptAttachment, ATTACHMENT_OVERHEAD_BYTES, type AttachmentKey } from './attachment-cipher.ts';
export { encodeMessageContent, decodeMessageContent, parseMessageContent, type MessageContent, type ContentKind, type AttachmentRef } from './message-content.ts';
