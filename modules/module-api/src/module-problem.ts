// Why a module (or a part of it, a camera) cannot work, as a stable code with its values, so that a
// screen can say it in the reader's language; the English sentence travels beside it for logs and
// for clients that know no code. Values are names, numbers and short texts, never a secret.

import type { ModuleProblem } from '@unibos/mesh-protocol';

export type { ModuleProblem };

const CODE = /^[a-z][a-z0-9_-]*(\.[a-z0-9_]+)+$/;
const MAX_PARAM = 500;

/**
 * The problem an error carries (`err.problem`), if it is one: read by shape, since a module may
 * bring its own copy of this package. Anything else is null (the caller names the error by its text).
 */
export function problemOf(err: unknown): ModuleProblem | null {
  const p = err !== null && typeof err === 'object' && 'problem' in err ? (err as { problem: unknown }).problem : null;
  if (p === null || typeof p !== 'object') return null;
  const { code, params } = p as { code?: unknown; params?: unknown };
  if (typeof code !== 'string' || !CODE.test(code) || code.length > 64) return null;
  const out: Record<string, string | number> = {};
  if (params !== null && typeof params === 'object') {
    for (const [k, v] of Object.entries(params).slice(0, 16)) {
      if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
      else if (typeof v === 'string') out[k] = v.slice(0, MAX_PARAM);
    }
  }
  return { code, params: out };
}

/** A problem with its English sentence: what a status carries as `error` and `problem`. */
export interface ModuleReason {
  message: string;
  problem: ModuleProblem;
}

export function moduleReason(code: string, params: Record<string, string | number>, message: string): ModuleReason {
  return { message, problem: { code, params } };
}
