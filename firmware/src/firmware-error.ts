// Errors from the device runtime carry a stable code, so the CLI and logs can tell causes apart.

export type FirmwareErrorCode =
  | 'E_CONFIG'
  | 'E_MODEM_UNAVAILABLE'
  | 'E_MODEM_TIMEOUT'
  | 'E_MODEM_ERROR'
  | 'E_MODEM_BUSY'
  | 'E_AIR_UNAVAILABLE'
  | 'E_GPS_UNAVAILABLE'
  | 'E_GPIO_UNAVAILABLE'
  | 'E_NODE_NOT_RUNNING'
  | 'E_NODE_RUNNING'
  | 'E_NODE_TIMEOUT'
  | 'E_NODE_ERROR'
  | 'E_BAD_REQUEST'
  // A private message longer than one frame's encrypted form can carry; refused before anything is sent.
  | 'E_TEXT_TOO_LONG'
  // No identity key for the peer of a private message yet (a node-info request has gone out).
  | 'E_NO_KEY'
  // The outbox holds as many messages as it may: a new text (or an alert with no text to take the place of) is refused.
  | 'E_OUTBOX_FULL'
  // radio.type none (a flashed card no one has set up): nothing is queued, so nothing goes out days later when a radio is set up.
  | 'E_NO_RADIO'
  | 'E_STORAGE';

export class FirmwareError extends Error {
  constructor(
    readonly code: FirmwareErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FirmwareError';
  }
}
