// @unibos/messenger-crypto: the messenger's end-to-end encryption, isomorphic (Node and browser).

export { MessengerCryptoError, isMessengerCryptoError, type MessengerErrorCode } from './messenger-crypto-error.ts';
export { toBase64url, fromBase64url, fromBase64urlExact } from './base64url.ts';
export { MESSENGER_LIMITS, type MessengerLimits } from './messenger-limits.ts';
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
