// What a module says about itself in `modules/{name}/module.json`: one typed shape, read from the
// file only through validateManifest (manifest-validation.ts), which checks it against
// MANIFEST_SCHEMA (manifest-schema.ts).

export const MODULE_CATEGORIES = ['emergency', 'finance', 'media', 'iot', 'game'] as const;
export type ModuleCategory = (typeof MODULE_CATEGORIES)[number];

export const MODULE_PLATFORMS = ['linux', 'macos', 'windows', 'raspberry_pi'] as const;
export type ModulePlatform = (typeof MODULE_PLATFORMS)[number];

export const MODULE_CAPABILITIES = ['requires_lora', 'requires_gps', 'requires_camera', 'offline_capable', 'p2p_enabled'] as const;
export type ModuleCapability = (typeof MODULE_CAPABILITIES)[number];

export const MODULE_HARDWARE = ['lora', 'gps', 'camera', 'button', 'led', 'buzzer'] as const;
export type ModuleHardware = (typeof MODULE_HARDWARE)[number];

/**
 * How far a frame may push ahead of others: `alert` goes out as an alert frame, ahead of every
 * text in the hub's queue, the gateway's and the node's outbox; `normal` as a text.
 */
export const MESH_PRIORITIES = ['normal', 'alert'] as const;
export type MeshPriority = (typeof MESH_PRIORITIES)[number];

/** A setting (or a property of a list setting's items) in another language. */
export interface FieldTranslation {
  title?: string;
  /** Help under the field (the schema's `description`); only for a list setting's item properties. */
  description?: string;
  enumTitles?: Record<string, string>;
}

export interface SettingTranslation extends Omit<FieldTranslation, 'description'> {
  /** A list setting whose items are objects: what one item is called ("Kamera": "Kamera 2: Kaynak"). */
  itemTitle?: string;
  /** A list setting whose items are objects: each item property's title, description and choices. */
  items?: Record<string, FieldTranslation>;
}

export interface ManifestTranslation {
  description?: string;
  settings?: Record<string, SettingTranslation>;
  /**
   * The module's problem codes (ModuleProblem, `{name}.*`) in this language, with the problem's
   * params as {placeholders}: the admin UI says a module's reason with them.
   */
  problems?: Record<string, string>;
}

export interface ModuleManifest {
  /** Lower case, digits and dashes; the folder name and the URL part (/api/v1/modules/{name}/). */
  name: string;
  version: string;
  description: string;
  author: string;
  license: string;
  category: ModuleCategory;
  dependencies: {
    /** Range of UNIBOS core versions it works with (semver). */
    core: string;
    /** Other modules it needs, each with a version range; they are set up before it. */
    modules?: Record<string, string>;
  };
  capabilities: Partial<Record<ModuleCapability, boolean>>;
  platforms: ModulePlatform[];
  /**
   * Where its data lives: `hub` (stored at the hub), `node_only` (names of data kept on the
   * device that never goes to the hub).
   */
  data_locality?: { hub?: string[]; node_only?: string[] };
  permissions: ModulePermissions;
  settings?: {
    version: number;
    /**
     * JSON Schema (draft 7 subset: object, string, number, integer, boolean, enum, array) of the
     * settings. A property's `title` labels it in the admin UI, and `enumTitles` ({ value: label })
     * names an enum's choices. A list whose `items` are objects with `properties` is edited item by
     * item (the items' `title` names one: "Camera 2: Source"; each property's `title`,
     * `description`, `examples[0]` and `default`). A secret (a password, a key) is marked `writeOnly: true` (a name
     * such as `password`, `token` or `apiKey` is taken as one too): the hub never sends its value
     * to a browser, it shows `***`, and `***` saved back keeps the stored value.
     */
    schema: Record<string, unknown>;
  };
  /**
   * What the admin UI shows in another language than English, by language code (`tr`): the
   * description, and per setting its title and its enum choices' labels (a list of objects: also
   * `itemTitle` and, per item property, `items`). Anything left out shows in English.
   */
  translations?: Record<string, ManifestTranslation>;
  entry: {
    /** The hub plugin (a Fastify plugin, default export), relative to the module folder. */
    hub?: string;
    /** The device-side handler (default export: a DeviceHandler factory). */
    device?: string;
    /** CLI commands (export `commands`). */
    cli?: string;
    /** A browser ES module the admin UI mounts on the modules screen (export `mount`). */
    ui?: string;
  };
}

export interface ModulePermissions {
  events?: {
    /** Event names it raises, published as `module.{name}.{event}`. */
    publish?: string[];
    /** Hub event types it reads (`alert.raised`, `mesh.alert`, `module.other.thing`, ...). */
    subscribe?: string[];
  };
  /** MQTT topics (relative to unibos/v1/, with + and # wildcards). `gw/+/tx` is what sending into the mesh uses. */
  mqtt?: { publish?: string[]; subscribe?: string[] };
  /** The highest priority of frames it may send into the mesh. */
  mesh?: { max_priority: MeshPriority };
  /** Read the fleet (nodes, positions, who heard them). */
  fleet?: 'read';
  /** Fetch from the network (feeds, APIs). */
  network?: boolean;
  hardware?: ModuleHardware[];
}
