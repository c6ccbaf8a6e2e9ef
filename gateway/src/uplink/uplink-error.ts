// Errors from the hub outbox and uplink carry a stable code, so callers (the bridge, the CLI,
// metrics) can tell a rejected message from a broken configuration without parsing text.

export type UplinkErrorCode =
  | 'E_UPLINK_CONFIG'
  | 'E_OUTBOX_INVALID'
  | 'E_OUTBOX_TOO_LARGE'
  | 'E_ENVELOPE_INVALID';

export class UplinkError extends Error {
  constructor(
    readonly code: UplinkErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'UplinkError';
  }
}
