// The module's event types, exactly as its module.json declares them (permissions.events.publish).
// The admin UI matches the same strings; cli/test/vocabulary.test.ts checks both against the manifest.

export const BIRLIKTEYIZ_EVENT = {
  QUAKE: 'module.birlikteyiz.quake',
  FEED_STATUS: 'module.birlikteyiz.feed_status',
  ROUND_OPENED: 'module.birlikteyiz.round_opened',
  ROUND_UPDATED: 'module.birlikteyiz.round_updated',
  ROUND_CLOSED: 'module.birlikteyiz.round_closed',
  ASSEMBLY_POINT: 'module.birlikteyiz.assembly_point',
} as const;
