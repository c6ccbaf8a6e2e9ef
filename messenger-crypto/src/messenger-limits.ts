// The messenger's size limits, one definition shared by the clients (which refuse to build
// anything bigger) and the hub (which enforces the byte limits on decoded base64url).

export const MESSENGER_LIMITS = {
  maxCiphertextBytes: 65536,
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxOneTimePrekeys: 100,
  maxDevicesPerUser: 10,
  maxGroupMembers: 256,
  maxTextChars: 4000,
} as const;

export type MessengerLimits = typeof MESSENGER_LIMITS;
