// The one error type the library throws: a stable `code` for programs and a human `reason`, so a
// client can say why a message could not be read instead of failing silently.

export type MessengerErrorCode =
  | 'E_BASE64URL'
  | 'E_BUNDLE_MALFORMED'
  | 'E_BUNDLE_BAD_KEY'
  | 'E_BUNDLE_BAD_SIGNATURE'
  | 'E_BUNDLE_TOO_MANY_PREKEYS'
  | 'E_BUNDLE_DUPLICATE_PREKEY'
  | 'E_STATE_MALFORMED'
  | 'E_MESSAGE_MALFORMED'
  | 'E_MESSAGE_TOO_LARGE'
  | 'E_TEXT_TOO_LONG'
  | 'E_UNSUPPORTED_VERSION'
  | 'E_BAD_KEY'
  | 'E_UNKNOWN_PREKEY'
  | 'E_DECRYPT_FAILED'
  | 'E_REPLAY'
  | 'E_TOO_MANY_SKIPPED'
  | 'E_NO_SESSION'
  | 'E_EARLY_MESSAGE'
  | 'E_KEY_CHANGED'
  | 'E_DEVICE_REVOKED'
  | 'E_BAD_SIGNATURE'
  | 'E_UNKNOWN_SENDER_KEY'
  | 'E_NOT_A_MEMBER';

export class MessengerCryptoError extends Error {
  readonly code: MessengerErrorCode;
  /** Facts a UI needs to explain the failure (e.g. the device and both keys of a key change). */
  readonly details: Readonly<Record<string, string>>;
  constructor(code: MessengerErrorCode, reason: string, details: Record<string, string> = {}) {
    super(reason);
    this.name = 'MessengerCryptoError';
    this.code = code;
    this.details = details;
  }
  /** The human sentence, for a UI that shows why a message could not be read. */
  get reason(): string {
    return this.message;
  }
}

export function isMessengerCryptoError(e: unknown): e is MessengerCryptoError {
  return e instanceof MessengerCryptoError;
}
