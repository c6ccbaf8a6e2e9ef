// The public face of @unibos/module-api: what modules and the hub's module host import.

export * from './manifest.ts';
export { MANIFEST_SCHEMA } from './manifest-schema.ts';
export { validateManifest, validateManifestText, formatProblem, type ManifestProblem, type ManifestResult } from './manifest-validation.ts';
export { ModuleError, ModuleNotReady, ModuleUnavailable, type ModuleErrorCode, type ModuleErrorOptions } from './module-error.ts';
export { moduleReason, problemOf, type ModuleProblem, type ModuleReason } from './module-problem.ts';
export * from './module-context.ts';
export * from './device-handler.ts';
// Topic-filter matching is MQTT's, defined once in mesh-protocol.
export { topicMatches as topicFilterMatches, filterCovers as topicFilterCovers } from '@unibos/mesh-protocol';
export { validateSettings } from './settings-validation.ts';
export { redactText, redactUrl, restoreSecrets, urlSite, HIDDEN_SECRET } from './url-secrets.ts';
