// A module's settings against its manifest's schema: defaults filled in, and each problem named by
// its field, so the API, the CLI and the admin form say the same thing.

import { Ajv, type ErrorObject, type FuncKeywordDefinition, type SchemaValidateFunction } from 'ajv';
import { ModuleError } from './module-error.ts';

/**
 * `uniqueItemProperties: ["id"]` on a list of objects: no two items hold the same value of a named
 * property (two cameras called "yard" would share a media folder). The second one is the field in
 * error: `cameras.1.id must be unique: "yard" is used twice`. A schema keyword, not a module's own
 * check, so the hub refuses such settings at the door, as the module itself would.
 */
const unique: SchemaValidateFunction = (names: string[], items: unknown[], _parent, cxt) => {
  const errors: Array<Partial<ErrorObject>> = [];
  for (const name of names) {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || !Object.hasOwn(item, name)) return;
      const value = (item as Record<string, unknown>)[name];
      // By JSON text: 1 and "1" differ, as they do to the module reading them.
      const key = JSON.stringify(value) ?? 'undefined';
      if (!seen.has(key)) return void seen.add(key);
      errors.push({
        keyword: 'uniqueItemProperties',
        instancePath: `${cxt?.instancePath ?? ''}/${i}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        params: { property: name, value },
        message: `must be unique: ${key} is used twice`,
      });
    });
  }
  unique.errors = errors;
  return errors.length === 0;
};

export const uniqueItemProperties: FuncKeywordDefinition = {
  keyword: 'uniqueItemProperties',
  type: 'array',
  schemaType: 'array',
  metaSchema: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
  errors: true,
  validate: unique,
};

/** An Ajv that knows the settings keywords UNIBOS adds to JSON Schema (manifest validation uses one too). */
export function settingsAjv(options: { useDefaults: boolean }): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: options.useDefaults });
  ajv.addKeyword(uniqueItemProperties);
  return ajv;
}

const ajv = settingsAjv({ useDefaults: true });
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
    const problems = (check.errors ?? []).flatMap((e) => problem(schema, e) ?? []);
    throw new ModuleError('E_MODULE_SETTINGS', `settings: ${problems.join('; ')}`);
  }
  return copy;
}

/**
 * One refused field in words: `centerLatitude is required when regionMode is "radius"`. A rule of
 * an `if`/`then` says when it applies (an `if` whose `properties` hold a `const`); the `if` itself
 * failing says nothing more, so it is left out.
 */
function problem(schema: Record<string, unknown>, e: ErrorObject): string | null {
  if (e.keyword === 'if') return null;
  const path = e.instancePath.slice(1).replace(/\//g, '.');
  const missing = e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
  const field = missing ? (path ? `${path}.${missing}` : missing) : path || '(settings)';
  return `${field} ${missing ? 'is required' : (e.message ?? 'is invalid')}${when(schema, e.schemaPath)}`;
}

/** ` when regionMode is "radius"` for a rule under `then` whose `if` compares a property with a `const`; else empty. */
function when(schema: Record<string, unknown>, schemaPath: string): string {
  const parts = schemaPath.replace(/^#\//, '').split('/');
  const at = parts.lastIndexOf('then');
  if (at < 0) return '';
  let node: unknown = schema;
  for (const part of [...parts.slice(0, at), 'if', 'properties']) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  if (typeof node !== 'object' || node === null) return '';
  const conditions = Object.entries(node as Record<string, unknown>).flatMap(([name, s]) => (typeof s === 'object' && s !== null && 'const' in s ? [`${name} is ${JSON.stringify((s as { const: unknown }).const)}`] : []));
  return conditions.length ? ` when ${conditions.join(' and ')}` : '';
}
