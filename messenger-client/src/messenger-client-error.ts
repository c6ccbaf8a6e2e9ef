// The one error type the client throws: a stable `code` a program can branch on, a sentence for the
// person, and the facts behind it (the hub's answer, the user whose key changed, ...).

export type MessengerClientErrorCode =
  | 'E_HUB_UNREACHABLE'
  | 'E_HUB_ANSWER'
  | 'E_KEY_CHANGED'
  | 'E_KEYS_CHANGED_AGAIN'
  | 'E_DEVICE_REVOKED'
  | 'E_DEVICES_CHANGED'
  | 'E_NO_DEVICES'
  | 'E_STATE_MALFORMED'
  | 'E_STATE_SEALED'
  | 'E_STATE_TAKEN'
  | 'E_CONVERSATION_CHANGED'
  | 'E_CONTENT_MALFORMED'
  | 'E_TEXT_TOO_LONG'
  | 'E_BAD_REQUEST'
  | 'E_NOT_FOUND'
  | 'E_ATTACHMENT_TOO_LARGE'
  | 'E_ATTACHMENT_CORRUPT'
  | 'E_FORBIDDEN'
  | string;

export class MessengerClientError extends Error {
  override name = 'MessengerClientError';
  constructor(
    readonly code: MessengerClientErrorCode,
    message: string,
    /** HTTP status when the hub answered; 0 otherwise. */
    readonly status = 0,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
