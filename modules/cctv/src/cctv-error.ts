// Errors of the cctv module, with a stable code (the hub's error handler passes `code` and
// `statusCode` through; the node logs them).

import type { ModuleProblem } from '@unibos/module-api';

export type CctvErrorCode = 'E_CCTV_CONFIG' | 'E_CCTV_UNAVAILABLE' | 'E_CCTV_SOURCE' | 'E_CCTV_FRAME' | 'E_CCTV_NOT_FOUND' | 'E_CCTV_PRIVACY';

const STATUS: Record<CctvErrorCode, number> = { E_CCTV_CONFIG: 400, E_CCTV_UNAVAILABLE: 503, E_CCTV_SOURCE: 502, E_CCTV_FRAME: 422, E_CCTV_NOT_FOUND: 404, E_CCTV_PRIVACY: 403 };

export interface CctvErrorOptions extends ErrorOptions {
  /** The reason by code (`cctv.*`), for a screen in another language; the message is the same in English. */
  problem?: ModuleProblem;
  /** Nothing a retry fixes while the process runs (OpenCV not built): the hub does not retry the setup. */
  permanent?: boolean;
}

export class CctvError extends Error {
  readonly code: CctvErrorCode;
  readonly statusCode: number;
  readonly problem: ModuleProblem | undefined;
  readonly permanent: boolean;
  constructor(code: CctvErrorCode, message: string, options?: CctvErrorOptions) {
    super(message, options);
    this.name = 'CctvError';
    this.code = code;
    this.statusCode = STATUS[code];
    this.problem = options?.problem;
    this.permanent = options?.permanent ?? false;
  }
}
