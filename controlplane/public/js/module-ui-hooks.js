// What modules add to the hub's own screens: a loaded module whose UI file exports a hook besides
// its `mount` gets it called. `mapLayer(ctx)` adds its marks to the main map (birlikteyiz: an open
// quake's epicentre), `notices(ctx)` announces on every screen what must not wait for its own
// screen to be opened (birlikteyiz: a quake). Loaded when asked, again when a module is enabled
// or disabled; a module without the hook, or one that fails, leaves the screen as it was.

import { HUB_EVENT } from './hub-events.js';

/**
 * What a module's `mapLayer(ctx)` gets and gives back. `legend`: the map's legend, for the module's
 * own entries; `changed()`: its marks changed (the map places its names again around them);
 * `fitWith(points)`: shows the fleet and these places together.
 * @typedef {{ L: any, map: any, api: import('./api-client.js').ApiClient, stream: EventTarget, base: string, legend: HTMLUListElement, changed: () => void, fitWith: (points: Array<[number, number]>) => void }} MapLayerContext
 * What `notices(ctx)` gets: `notify(message, 'alert', key, link)` raises the banner every screen
 * shows, `dismiss(key)` takes it down (what it announced is over).
 * @typedef {{ api: import('./api-client.js').ApiClient, stream: EventTarget, base: string, notify: import('./shell.js').AppContext['notify'], dismiss: import('./shell.js').AppContext['dismiss'] }} NoticesContext
 * @typedef {{ destroy?: () => void }} ModuleHook
 */

/**
 * Calls `start(hook, name)` for each loaded module whose UI exports `hook`; what it returns is
 * destroyed when the module goes (or all of them, on `destroy()`).
 * @param {{ api: import('./api-client.js').ApiClient, stream: EventTarget }} ctx
 * @param {'mapLayer' | 'notices'} hook
 * @param {(fn: (ctx: any) => ModuleHook | undefined, name: string) => ModuleHook | undefined} start
 * @param {() => void} [changed] a module's hook went away
 */
export function addModuleHooks(ctx, hook, start, changed = () => {}) {
  /** By module: what its hook returned (null while its script loads). @type {Map<string, ModuleHook | null | undefined>} */
  const started = new Map();
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
    for (const [name, running] of started) {
      if (loaded.has(name)) continue;
      running?.destroy?.();
      started.delete(name);
      claims.delete(name);
      changed();
    }
    for (const name of loaded) {
      if (started.has(name)) continue;
      // This load's claim on the module: a disable and enable while its script loads makes a newer one.
      const claim = {};
      claims.set(name, claim);
      started.set(name, null);
      try {
        const info = await ctx.api.get(`/api/v1/modules/${encodeURIComponent(name)}`);
        const file = String(info.manifest?.entry?.ui ?? '').split('/').pop();
        const ui = await import(`/modules/${encodeURIComponent(name)}/ui/${file}`);
        if (stopped || claims.get(name) !== claim || typeof ui[hook] !== 'function') continue;
        started.set(name, start(ui[hook], name));
      } catch {
        // The module's own screen says why it did not load; the hub's screens go on without it.
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
      for (const running of started.values()) running?.destroy?.();
      started.clear();
    },
  };
}
