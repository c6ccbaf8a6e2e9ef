// Errors of the module system, with a stable code and the HTTP status the hub answers with (the
// hub's error handler passes `statusCode` and `code` through).

export type ModuleErrorCode =
  | 'E_MODULE_MANIFEST'
  | 'E_MODULE_NOT_FOUND'
  | 'E_MODULE_DEPENDENCY'
  | 'E_MODULE_UNSUPPORTED'
  | 'E_MODULE_PERMISSION'
  | 'E_MODULE_SETTINGS'
  | 'E_MODULE_NOT_READY'
  | 'E_MODULE_STATE'
  | 'E_MODULE_UNLOADED'
  | 'E_BAD_REQUEST'
  | 'E_NOT_FOUND'
  | 'E_FORBIDDEN'
  | 'E_CONFLICT';

const STATUS: Record<ModuleErrorCode, number> = {
  E_MODULE_MANIFEST: 422,
  E_MODULE_NOT_FOUND: 404,
  E_MODULE_DEPENDENCY: 409,
  E_MODULE_UNSUPPORTED: 409,
  E_MODULE_PERMISSION: 403,
  E_MODULE_SETTINGS: 400,
  E_MODULE_NOT_READY: 503,
  E_MODULE_STATE: 409,
  E_MODULE_UNLOADED: 503,
  E_BAD_REQUEST: 400,
  E_NOT_FOUND: 404,
  E_FORBIDDEN: 403,
  E_CONFLICT: 409,
};

export class ModuleError extends Error {
  readonly code: ModuleErrorCode;
  readonly statusCode: number;

  constructor(code: ModuleErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModuleError';
    this.code = code;
    this.statusCode = STATUS[code];
  }
}

/**
 * Thrown by a module's setup when something it needs is not there yet (a device, a service):
 * the hub retries with backoff instead of marking it failed (Home Assistant's ConfigEntryNotReady).
 */
export class ModuleNotReady extends ModuleError {
  constructor(message: string, options?: ErrorOptions) {
    super('E_MODULE_NOT_READY', message, options);
    this.name = 'ModuleNotReady';
  }
}
