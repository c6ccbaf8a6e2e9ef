// A module's settings against its manifest's schema: defaults filled in, and each problem named by
// its field, so the API, the CLI and the admin form say the same thing.

import { Ajv } from 'ajv';
import { ModuleError } from './module-error.ts';

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

/** The settings with defaults applied, or E_MODULE_SETTINGS naming the first bad fields. */
export function validateSettings(schema: Record<string, unknown> | undefined, value: unknown): Record<string, unknown> {
  if (!schema) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ModuleError('E_MODULE_SETTINGS', 'settings must be a JSON object');
  let check = compiled.get(schema);
  if (!check) {
    check = ajv.compile(schema);
    compiled.set(schema, check);
  }
  const copy = structuredClone(value) as Record<string, unknown>;
  if (!check(copy)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath.slice(1).replace(/\//g, '.') || (e.params as { missingProperty?: string }).missingProperty || '(settings)'} ${e.message ?? 'is invalid'}`);
    throw new ModuleError('E_MODULE_SETTINGS', `settings: ${problems.join('; ')}`);
  }
  return copy;
}
