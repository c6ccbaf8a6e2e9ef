// The JSON Schema of module.json. validateManifest checks every manifest against it before the
// hub (or the CLI) uses one; its error paths become the "field" of a manifest error.

import { MESH_PRIORITIES, MODULE_CAPABILITIES, MODULE_CATEGORIES, MODULE_HARDWARE, MODULE_PLATFORMS } from './manifest.ts';

const name = { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$' } as const;
const eventName = { type: 'string', pattern: '^[a-z][a-z0-9_]{0,39}$' } as const;
const topicFilter = { type: 'string', pattern: '^[a-z0-9_+#!-]+(/[a-z0-9_+#!-]+)*$', maxLength: 200 } as const;
const title = { type: 'string', minLength: 1, maxLength: 200 } as const;
const enumTitles = { type: 'object', additionalProperties: { type: 'string', minLength: 1, maxLength: 100 } } as const;
const relativePath = { type: 'string', pattern: '^(?!/)(?!.*\\.\\.)[A-Za-z0-9_./-]+$', maxLength: 200 } as const;

export const MANIFEST_SCHEMA = {
  $id: 'https://unibos.org/schemas/module.json',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'description', 'author', 'license', 'category', 'dependencies', 'capabilities', 'platforms', 'permissions', 'entry'],
  properties: {
    $schema: { type: 'string' },
    name,
    version: { type: 'string', pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$' },
    description: { type: 'string', minLength: 1, maxLength: 300 },
    author: { type: 'string', minLength: 1, maxLength: 120 },
    license: { type: 'string', minLength: 1, maxLength: 60 },
    category: { enum: [...MODULE_CATEGORIES] },
    dependencies: {
      type: 'object',
      additionalProperties: false,
      required: ['core'],
      properties: {
        core: { type: 'string', minLength: 1 },
        modules: { type: 'object', propertyNames: name, additionalProperties: { type: 'string', minLength: 1 } },
      },
    },
    capabilities: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(MODULE_CAPABILITIES.map((c) => [c, { type: 'boolean' }])),
    },
    platforms: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...MODULE_PLATFORMS] } },
    data_locality: {
      type: 'object',
      additionalProperties: false,
      properties: { hub: { type: 'array', items: { type: 'string' } }, node_only: { type: 'array', items: { type: 'string' } } },
    },
    permissions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        events: {
          type: 'object',
          additionalProperties: false,
          properties: {
            publish: { type: 'array', uniqueItems: true, items: eventName },
            subscribe: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+){1,2}$' } },
          },
        },
        mqtt: {
          type: 'object',
          additionalProperties: false,
          properties: { publish: { type: 'array', items: topicFilter }, subscribe: { type: 'array', items: topicFilter } },
        },
        mesh: { type: 'object', additionalProperties: false, required: ['max_priority'], properties: { max_priority: { enum: [...MESH_PRIORITIES] } } },
        fleet: { const: 'read' },
        network: { type: 'boolean' },
        hardware: { type: 'array', uniqueItems: true, items: { enum: [...MODULE_HARDWARE] } },
      },
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      required: ['version', 'schema'],
      properties: {
        version: { type: 'integer', minimum: 1 },
        schema: { type: 'object', required: ['type'], properties: { type: { const: 'object' } } },
      },
    },
    entry: {
      type: 'object',
      additionalProperties: false,
      properties: { hub: relativePath, device: relativePath, cli: relativePath, ui: relativePath },
    },
    translations: {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[a-z]{2}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          description: { type: 'string', minLength: 1, maxLength: 300 },
          settings: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              properties: {
                title,
                enumTitles,
                // A list of objects (cctv's cameras): what one item is called, and each item property's words.
                itemTitle: { type: 'string', minLength: 1, maxLength: 60 },
                items: { type: 'object', additionalProperties: { type: 'object', additionalProperties: false, properties: { title, description: { type: 'string', minLength: 1, maxLength: 300 }, enumTitles } } },
              },
            },
          },
          // The module's own problem codes (`{name}.opencv_missing`) as a sentence with {placeholders}.
          problems: {
            type: 'object',
            propertyNames: { type: 'string', pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9_]+$', maxLength: 64 },
            additionalProperties: { type: 'string', minLength: 1, maxLength: 500 },
          },
        },
      },
    },
  },
} as const;
