// Errors the hub's routes and services throw on purpose: a stable code plus the HTTP status it
// answers with, rendered in Fastify's shape { statusCode, code, error, message }.

export type HubErrorCode =
  | 'E_CONFIG'
  | 'E_BAD_REQUEST'
  | 'E_AUTH_REQUIRED'
  | 'E_AUTH_INVALID'
  | 'E_AUTH_EXPIRED'
  | 'E_AUTH_REUSED'
  | 'E_LOGIN_THROTTLED'
  | 'E_RATE_LIMITED'
  | 'E_PROOF_REQUIRED'
  | 'E_PROOF_INVALID'
  | 'E_CHALLENGE_INVALID'
  | 'E_TOKEN_KIND'
  | 'E_FORBIDDEN'
  | 'E_NOT_FOUND'
  | 'E_CONFLICT'
  | 'E_SETUP_DONE'
  | 'E_UNAVAILABLE'
  | 'E_TOO_LARGE'
  | 'E_BAD_BUNDLE'
  | 'E_LIMIT_REACHED';

const STATUS: Record<HubErrorCode, number> = {
  E_CONFIG: 500,
  E_BAD_REQUEST: 400,
  E_AUTH_REQUIRED: 401,
  E_AUTH_INVALID: 401,
  E_AUTH_EXPIRED: 401,
  E_AUTH_REUSED: 401,
  E_LOGIN_THROTTLED: 429,
  E_RATE_LIMITED: 429,
  E_PROOF_REQUIRED: 401,
  E_PROOF_INVALID: 403,
  E_CHALLENGE_INVALID: 401,
  E_TOKEN_KIND: 409,
  E_FORBIDDEN: 403,
  E_NOT_FOUND: 404,
  E_CONFLICT: 409,
  E_SETUP_DONE: 409,
  E_UNAVAILABLE: 503,
  E_TOO_LARGE: 413,
  E_BAD_BUNDLE: 400,
  E_LIMIT_REACHED: 409,
};

export class HubError extends Error {
  readonly code: HubErrorCode;
  readonly statusCode: number;
  constructor(code: HubErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HubError';
    this.code = code;
    this.statusCode = STATUS[code];
  }
}

/** Another org's resource and a missing one look the same from outside: both are this. */
export function notFound(what: string): HubError {
  return new HubError('E_NOT_FOUND', `${what} not found`);
}
