// Reads a module.json into a ModuleManifest or a list of problems, each naming the file and the
// field (`permissions.events.publish[1]`), so one bad manifest is reported and the rest still load.

import type { ErrorObject } from 'ajv';
import semver from 'semver';
import { MANIFEST_SCHEMA } from './manifest-schema.ts';
import type { ModuleManifest } from './manifest.ts';
import { settingsAjv } from './settings-validation.ts';

export interface ManifestProblem {
  file: string;
  /** Dotted path of the field, `(root)` for the whole document. */
  field: string;
  message: string;
}

export type ManifestResult = { ok: true; manifest: ModuleManifest } | { ok: false; problems: ManifestProblem[] };

// The settings keywords UNIBOS adds (uniqueItemProperties) known here too: a manifest using one is
// valid, and one given a value of the wrong shape is refused as a settings.schema problem.
const ajv = settingsAjv({ useDefaults: false });
const check = ajv.compile(MANIFEST_SCHEMA);

/** Validates `text` (the file's contents) read from `file`. */
export function validateManifestText(text: string, file: string): ManifestResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [{ file, field: '(root)', message: `not JSON: ${(err as Error).message}` }] };
  }
  return validateManifest(doc, file);
}

export function validateManifest(doc: unknown, file: string): ManifestResult {
  if (!check(doc)) return { ok: false, problems: (check.errors ?? []).map((e) => problem(file, e)) };
  const manifest = doc as unknown as ModuleManifest;
  const problems: ManifestProblem[] = [];
  if (!semver.validRange(manifest.dependencies.core)) problems.push({ file, field: 'dependencies.core', message: `"${manifest.dependencies.core}" is not a semver range` });
  for (const [dep, range] of Object.entries(manifest.dependencies.modules ?? {})) {
    if (!semver.validRange(range)) problems.push({ file, field: `dependencies.modules.${dep}`, message: `"${range}" is not a semver range` });
    if (dep === manifest.name) problems.push({ file, field: `dependencies.modules.${dep}`, message: 'a module cannot depend on itself' });
  }
  if (manifest.settings) {
    try {
      ajv.compile(manifest.settings.schema);
    } catch (err) {
      problems.push({ file, field: 'settings.schema', message: `not a usable JSON Schema: ${(err as Error).message}` });
    }
  }
  // A translation names settings and choices that exist: a typo would leave the English in place unnoticed.
  type Spec = { enum?: unknown; items?: { properties?: Record<string, Spec | null> } | null } | null;
  const properties = (manifest.settings?.schema.properties ?? {}) as Record<string, Spec>;
  const badChoices = (spec: Spec, enumTitles: Record<string, string> | undefined, field: string): void => {
    const choices = spec && typeof spec === 'object' && Array.isArray(spec.enum) ? spec.enum.map(String) : [];
    for (const value of Object.keys(enumTitles ?? {})) if (!choices.includes(value)) problems.push({ file, field: `${field}.enumTitles.${value}`, message: `"${value}" is not one of the setting's choices` });
  };
  for (const [lang, tr] of Object.entries(manifest.translations ?? {})) {
    for (const [key, setting] of Object.entries(tr.settings ?? {})) {
      const field = `translations.${lang}.settings.${key}`;
      if (!Object.hasOwn(properties, key)) problems.push({ file, field, message: 'no such setting in settings.schema' });
      else {
        const spec = properties[key] ?? null;
        badChoices(spec, setting.enumTitles, field);
        // An item property's words name a property the items have (cameras: id, source, ...).
        const itemProperties = spec && typeof spec === 'object' && spec.items && typeof spec.items === 'object' ? (spec.items.properties ?? {}) : {};
        for (const [prop, words] of Object.entries(setting.items ?? {})) {
          if (!Object.hasOwn(itemProperties, prop)) problems.push({ file, field: `${field}.items.${prop}`, message: "no such property in the setting's items" });
          else badChoices(itemProperties[prop] ?? null, words.enumTitles, `${field}.items.${prop}`);
        }
      }
    }
    // A module says its own problems only: the module host's (`host.*`) are the admin UI's to translate.
    for (const code of Object.keys(tr.problems ?? {})) {
      if (!code.startsWith(`${manifest.name}.`)) problems.push({ file, field: `translations.${lang}.problems.${code}`, message: `a problem code of this module starts with "${manifest.name}."` });
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, manifest };
}

function problem(file: string, e: ErrorObject): ManifestProblem {
  let field = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
  let message = e.message ?? 'invalid';
  if (e.keyword === 'required') field = field ? `${field}.${String(e.params.missingProperty)}` : String(e.params.missingProperty);
  if (e.keyword === 'required') message = 'is required';
  if (e.keyword === 'additionalProperties') {
    const extra = String(e.params.additionalProperty);
    field = field ? `${field}.${extra}` : extra;
    message = 'is not a manifest field';
  }
  if (e.keyword === 'enum') message = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return { file, field: field || '(root)', message };
}

export function formatProblem(p: ManifestProblem): string {
  return `${p.file}: ${p.field}: ${p.message}`;
}
