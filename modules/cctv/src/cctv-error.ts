// Errors of the cctv module, with a stable code (the hub's error handler passes `code` and
// `statusCode` through; the node logs them).

export type CctvErrorCode = 'E_CCTV_CONFIG' | 'E_CCTV_UNAVAILABLE' | 'E_CCTV_SOURCE' | 'E_CCTV_FRAME' | 'E_CCTV_NOT_FOUND' | 'E_CCTV_PRIVACY';

const STATUS: Record<CctvErrorCode, number> = { E_CCTV_CONFIG: 400, E_CCTV_UNAVAILABLE: 503, E_CCTV_SOURCE: 502, E_CCTV_FRAME: 422, E_CCTV_NOT_FOUND: 404, E_CCTV_PRIVACY: 403 };

export class CctvError extends Error {
  readonly code: CctvErrorCode;
  readonly statusCode: number;
  constructor(code: CctvErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CctvError';
    this.code = code;
    this.statusCode = STATUS[code];
  }
}
