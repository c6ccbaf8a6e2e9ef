// Errors from the gateway's own parts (broker, device credentials, exactly-once records) carry a
// stable code, so the CLI and logs can tell causes apart. (The hub uplink has UplinkError.)

export type GatewayErrorCode = 'E_CONFIG' | 'E_STORAGE' | 'E_BAD_REQUEST';

export class GatewayError extends Error {
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GatewayError';
  }
}
