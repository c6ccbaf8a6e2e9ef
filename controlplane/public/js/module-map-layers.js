// What modules draw on the main map: a loaded module whose UI file exports `mapLayer(ctx)` (besides
// its `mount`) adds its own layer (birlikteyiz: an open quake's epicentre). Loaded when the map is
// made, again when a module is enabled or disabled; a module without one, or one that fails, only
// leaves the map as it was.

import { HUB_EVENT } from './hub-events.js';

/**
 * What a module's `mapLayer(ctx)` gets and gives back. `legend`: the map's legend, for the module's
 * own entries; `changed()`: its marks changed (the map places its names again around them);
 * `fitWith(points)`: shows the fleet and these places together.
 * @typedef {{ L: any, map: any, api: import('./api-client.js').ApiClient, stream: EventTarget, base: string, legend: HTMLUListElement, changed: () => void, fitWith: (points: Array<[number, number]>) => void }} MapLayerContext
 * @typedef {{ destroy?: () => void }} ModuleMapLayer
 */

/**
 * @param {Omit<MapLayerContext, 'base'>} ctx
 */
export function addModuleMapLayers(ctx) {
  /** @type {Map<string, ModuleMapLayer | null>} */
  const layers = new Map();
  /** @type {Map<string, object>} */
  const claims = new Map();
  let stopped = false;

  const load = async () => {
    /** @type {{ modules: Array<{ name: string, state: string, hasUi: boolean }> }} */
    let res;
    try {
      res = await ctx.api.get('/api/v1/modules');
    } catch {
      return;
    }
    if (stopped) return;
    const loaded = new Set(res.modules.filter((m) => m.state === 'loaded' && m.hasUi).map((m) => m.name));
    for (const [name, layer] of layers) {
      if (loaded.has(name)) continue;
      layer?.destroy?.();
      layers.delete(name);
      claims.delete(name);
      ctx.changed();
    }
    for (const name of loaded) {
      if (layers.has(name)) continue;
      // This load's claim on the module: a disable and enable while its script loads makes a newer one.
      const claim = {};
      claims.set(name, claim);
      layers.set(name, null);
      try {
        const info = await ctx.api.get(`/api/v1/modules/${encodeURIComponent(name)}`);
        const file = String(info.manifest?.entry?.ui ?? '').split('/').pop();
        const ui = await import(`/modules/${encodeURIComponent(name)}/ui/${file}`);
        if (stopped || claims.get(name) !== claim || typeof ui.mapLayer !== 'function') continue;
        layers.set(name, ui.mapLayer({ L: ctx.L, map: ctx.map, api: ctx.api, stream: ctx.stream, base: `/api/v1/modules/${name}`, legend: ctx.legend, changed: ctx.changed, fitWith: ctx.fitWith }));
      } catch {
        // The module's own screen says why it did not load; the map goes on without its layer.
      }
    }
  };

  /** @param {Event} e */
  const onEvent = (e) => {
    if (/** @type {CustomEvent} */ (e).detail?.type === HUB_EVENT.MODULE_STATE) void load();
  };
  ctx.stream.addEventListener('event', onEvent);
  void load();

  return {
    destroy() {
      stopped = true;
      ctx.stream.removeEventListener('event', onEvent);
      for (const l of layers.values()) l?.destroy?.();
      layers.clear();
    },
  };
}
