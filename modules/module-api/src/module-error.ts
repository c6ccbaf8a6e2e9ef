// Errors of the module system, with a stable code and the HTTP status the hub answers with (the
// hub's error handler passes `statusCode` and `code` through), and optionally the reason as a
// problem code with values (module-problem.ts) that the admin UI says in the reader's language.

import type { ModuleProblem } from './module-problem.ts';

export interface ModuleErrorOptions extends ErrorOptions {
  problem?: ModuleProblem;
}

export type ModuleErrorCode =
  | 'E_MODULE_MANIFEST'
  | 'E_MODULE_NOT_FOUND'
  | 'E_MODULE_DEPENDENCY'
  | 'E_MODULE_UNSUPPORTED'
  | 'E_MODULE_PERMISSION'
  | 'E_MODULE_SETTINGS'
  | 'E_MODULE_NOT_READY'
  | 'E_MODULE_UNAVAILABLE'
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
  E_MODULE_UNAVAILABLE: 503,
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
  /** The reason by code, for a screen in another language; `message` is the same in English. */
  readonly problem: ModuleProblem | undefined;

  constructor(code: ModuleErrorCode, message: string, options?: ModuleErrorOptions) {
    super(message, options);
    this.name = 'ModuleError';
    this.code = code;
    this.statusCode = STATUS[code];
    this.problem = options?.problem;
  }
}

/**
 * Thrown by a module's setup when something it needs is not there yet (a device, a service):
 * the hub retries with backoff instead of marking it failed (Home Assistant's ConfigEntryNotReady).
 */
export class ModuleNotReady extends ModuleError {
  constructor(message: string, options?: ModuleErrorOptions) {
    super('E_MODULE_NOT_READY', message, options);
    this.name = 'ModuleNotReady';
  }
}

/**
 * Thrown by a module's setup when something it needs is missing and will not appear while the hub
 * runs (a native library that takes an install and a restart): the module settles in setup_error
 * with the reason, which should say what to do, and is not retried; enabling it again, or a
 * restart, tries again. Any other error a setup throws settles the same way; this one says it was
 * expected (logged without a stack).
 */
export class ModuleUnavailable extends ModuleError {
  constructor(message: string, options?: ModuleErrorOptions) {
    super('E_MODULE_UNAVAILABLE', message, options);
    this.name = 'ModuleUnavailable';
  }
}
