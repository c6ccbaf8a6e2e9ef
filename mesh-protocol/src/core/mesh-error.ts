// Errors with a stable code, so callers (and drop counters) can tell reasons apart without parsing text.

export type MeshErrorCode =
  | 'E_FRAME_TOO_SHORT'
  | 'E_FRAME_TOO_LARGE'
  | 'E_PAYLOAD_TOO_LARGE'
  | 'E_BAD_HEADER'
  | 'E_UNKNOWN_CHANNEL'
  | 'E_AUTH_FAILED'
  | 'E_BAD_PAYLOAD'
  | 'E_REPLAY'
  | 'E_BAD_ARGUMENT'
  | 'E_ENVELOPE_INVALID'
  | 'E_TRACE_TIMEOUT';

export class MeshError extends Error {
  readonly code: MeshErrorCode;
  constructor(code: MeshErrorCode, message: string) {
    super(message);
    this.name = 'MeshError';
    this.code = code;
  }
}
