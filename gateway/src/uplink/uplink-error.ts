// Errors from the hub outbox and uplink carry a stable code, so callers (the bridge, the CLI,
// metrics) can tell a rejected message from a broken configuration without parsing text.

import type { UplinkRefusalReason } from '@unibos/mesh-protocol';

export type UplinkErrorCode =
  | 'E_UPLINK_CONFIG'
  | 'E_OUTBOX_INVALID'
  | 'E_OUTBOX_TOO_LARGE'
  | 'E_HUB_WOULD_REFUSE'
  | 'E_ENVELOPE_INVALID';

export class UplinkError extends Error {
  /** For a message refused because the hub would refuse it: which of the hub's limits it breaks. */
  readonly refusal: UplinkRefusalReason | undefined;

  constructor(
    readonly code: UplinkErrorCode,
    message: string,
    options?: ErrorOptions & { refusal?: UplinkRefusalReason },
  ) {
    super(message, options);
    this.name = 'UplinkError';
    this.refusal = options?.refusal;
  }
}
