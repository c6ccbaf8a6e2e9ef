// Modules: every installed module with its state (loaded, setup error with the reason, retrying,
// disabled...), enable and disable for the hub's admins (its own org's: modules serve every org),
// and a settings form generated from the module's settings schema; live from module.state events.
// A loaded module with a UI (its manifest's entry.ui) is mounted below, in its own section;
// #/modules/<name>[/<part>] brings that section (or the part of it the module's UI names) into view.

import { ApiError } from '../api-client.js';
import { h, replace, replaceRows } from '../dom.js';
import { timeUntil } from '../format.js';
import { HUB_EVENT } from '../hub-events.js';
import { lang, t, translator } from '../i18n.js';
import { ListFieldError, checkbox, enumSelect, enumValue, fieldBox, isItemList, itemListEditor, keepDrawn, savedAsJson, secretInput, secretValue, showsAsIs, typeOf, untouched } from './module-settings-list.js';


/**
 * @typedef {{ name: string, version: string | null, description: string | null, category: string | null, enabled: boolean,
 *   state: string, error: string | null, problem?: { code: string, params?: Record<string, string | number> } | null, retryAt: string | null, runtimeErrors: number, settings?: Record<string, any>,
 *   settingsSchema: { properties?: Record<string, any> } | null, hasUi: boolean,
 *   translations?: Record<string, { description?: string, settings?: Record<string, import('./module-settings-list.js').ListWords>, problems?: Record<string, string> }> | null }} ModuleStatus
 * @typedef {{ destroy?: () => void, reveal?: (part: string | null) => void }} MountedUi
 */

/** Module categories (module-api MODULE_CATEGORIES) as people read them. @type {Record<string, string>} */
const CATEGORY_LABEL = { emergency: t('emergency'), finance: t('finance'), media: t('media'), iot: t('sensors and devices'), game: t('game') };

/** @type {Record<string, string>} */
const STATE_LABEL = {
  loaded: t('Loaded'),
  setup_in_progress: t('Starting…'),
  setup_error: t('Setup error'),
  setup_retry: t('Retrying'),
  migration_error: t('Settings migration failed'),
  unloaded: t('Unloaded'),
  disabled: t('Disabled'),
  not_loaded: t('Not loaded'),
  invalid: t('Invalid manifest'),
  unsupported: t('Not supported here'),
};

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createModulesView(ctx) {
  const { api, stream } = ctx;
  const list = h('ul', { class: 'modules', 'aria-label': t('Modules') });
  const panels = h('div', { class: 'module-panels' });
  /** Shown to an org admin who is not one of the hub's: why there is nothing to change here. */
  const notHubAdmin = h('p', { class: 'muted', hidden: true }, t("Modules serve every org on this hub: only the admins of the hub's own org can enable, disable or set them up."));
  const el = h('section', { class: 'view', 'aria-labelledby': 'modules-title' }, h('div', { class: 'view-head' }, h('h1', { id: 'modules-title' }, t('Modules'))), notHubAdmin, list, panels);

  /** @type {Map<string, ModuleStatus>} */
  const modules = new Map();
  /** @type {Map<string, { el: HTMLElement, ui: MountedUi | null }>} */
  const mounted = new Map();
  /** Settings forms the admin has open (kept across re-renders). */
  const openForms = new Set();
  /**
   * By module: its settings form while the admin has unsaved edits in it. A module.state event
   * (a module retrying, another enabled) redraws the list; the form the admin is typing in is
   * carried over as it is, values and focus, instead of being rebuilt from the saved settings.
   * @type {Map<string, HTMLFormElement>}
   */
  const editing = new Map();
  /**
   * By module: the settings form last built and what it was built from. A redraw with the same
   * settings keeps it: a form rebuilt between a click in a field and the first key (the list is
   * read again after each module.state event, one's own save included) put the key in a new field.
   * @type {Map<string, { from: string, form: HTMLFormElement }>}
   */
  const built = new Map();
  let shown = false;
  /**
   * The module panel the address asks for (#/modules/birlikteyiz/round: a link from the map), to
   * bring into view once it is mounted: on a phone it is far below the list of modules.
   * @type {{ name: string, part: string | null } | null}
   */
  let wanted = null;
  const wantFromAddress = () => {
    const m = /^#\/modules\/([a-z0-9][a-z0-9_-]*)(?:\/([a-z0-9_-]+))?/i.exec(location.hash);
    wanted = m ? { name: m[1] ?? '', part: m[2] ?? null } : null;
  };
  /** Scrolls to the wanted panel when it is mounted (syncPanels calls again once it is); the module's UI, if it can, to the part. */
  const reveal = () => {
    const panel = wanted ? mounted.get(wanted.name) : undefined;
    if (!wanted || !panel?.ui) return;
    const { part } = wanted;
    wanted = null;
    panel.el.scrollIntoView({ block: 'start' });
    panel.ui.reveal?.(part);
  };
  // The address changing while the screen is open (the shell only routes between screens).
  const onAddress = () => {
    if (!shown) return;
    wantFromAddress();
    reveal();
  };
  window.addEventListener('hashchange', onAddress);
  /** Whether this user may enable, disable and set up modules (the hub says, per org). */
  let canManage = false;

  /** Loads asked for so far, and the latest whose answer is drawn: an answer older than one drawn is dropped (module.state events come in bursts). */
  let asked = 0;
  let drawn = 0;
  const load = async () => {
    const mine = ++asked;
    try {
      const res = await api.get('/api/v1/modules');
      if (mine < drawn) return;
      drawn = mine;
      canManage = res.canManage === true;
      notHubAdmin.hidden = canManage || !ctx.can('fleet');
      modules.clear();
      for (const m of res.modules) modules.set(m.name, m);
      render();
    } catch (err) {
      ctx.notify(t('Could not load modules: {error}', { error: /** @type {Error} */ (err).message }), 'error');
    }
  };

  /**
   * @param {ModuleStatus} m
   * @param {'enable' | 'disable'} action
   * @param {HTMLButtonElement} button
   */
  const toggle = async (m, action, button) => {
    button.disabled = true;
    try {
      const status = await api.post(`/api/v1/modules/${m.name}/${action}`, {});
      modules.set(m.name, status);
      render();
    } catch (err) {
      button.disabled = false;
      ctx.notify(err instanceof ApiError ? refusalText(m, err) : action === 'enable' ? t('Could not enable {module}', { module: m.name }) : t('Could not disable {module}', { module: m.name }), 'error');
    }
  };

  /** @param {ModuleStatus} m */
  const settingsForm = (m) => {
    const props = m.settingsSchema?.properties ?? {};
    const translated = m.translations?.[lang]?.settings ?? {};
    const stored = m.settings ?? {};
    /** @typedef {import('./module-settings-list.js').FieldKind | 'saved'} Kind */
    /** @type {Array<[string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, any, Kind]>} */
    const fields = [];
    /** Settings that are lists of objects (cctv's cameras), edited item by item. @type {Map<string, { read: () => unknown }>} */
    const lists = new Map();
    const rows = Object.entries(props).map(([key, spec]) => {
      const id = `module-${m.name}-${key}`;
      const saved = Object.hasOwn(stored, key) ? stored[key] : undefined;
      const value = saved === undefined ? spec.default : saved;
      const title = translated[key]?.title ?? spec.title ?? key;
      if (isItemList(spec, value)) {
        const list = itemListEditor({ id, spec, value, title, words: translated[key] ?? {} });
        lists.set(key, list);
        return list.el;
      }
      const type = typeOf(spec);
      /** @type {Kind} */
      let kind = Array.isArray(spec.enum) ? 'enum' : type === 'boolean' ? 'boolean' : type === 'number' || type === 'integer' ? 'number' : isPointList(spec) ? 'points' : type === 'array' || type === 'object' ? 'json' : spec.writeOnly || spec.format === 'password' ? 'secret' : 'text';
      /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
      let input;
      /** Says why the field shows what it shows (a value it cannot show as it is, nothing set). @type {HTMLElement | null} */
      let note = null;
      if (!showsAsIs(kind, value)) {
        kind = 'saved';
        ({ input, note } = savedAsJson(value, id));
      } else if (kind === 'enum') {
        const choice = (/** @type {unknown} */ v) => translated[key]?.enumTitles?.[String(v)] ?? spec.enumTitles?.[String(v)] ?? String(v);
        ({ input, note } = enumSelect({ id, spec, value, label: choice }));
      } else if (kind === 'boolean') {
        ({ input, note } = checkbox({ id, value }));
      } else if (kind === 'number') {
        input = h('input', { id, type: 'number', step: type === 'integer' ? '1' : 'any', value: value ?? '', min: spec.minimum, max: spec.maximum });
      } else if (kind === 'points') {
        // Corners as people write them: one "latitude, longitude" a line.
        input = h('textarea', { id, rows: '4', placeholder: '36.20, 36.16' });
        input.value = (Array.isArray(value) ? value : []).map((/** @type {number[]} */ p) => p.join(', ')).join('\n');
      } else if (kind === 'json') {
        input = h('textarea', { id, rows: '2' });
        input.value = value === undefined ? '' : JSON.stringify(value);
      } else if (kind === 'secret') {
        input = secretInput(value, id);
      } else {
        input = h('input', { id, type: 'text', value: value ?? '' });
      }
      // Sent back as stored while the admin leaves it as drawn (nothing stored: left out, the hub fills in its default).
      keepDrawn(input, saved);
      fields.push([key, input, spec, kind]);
      const hint = kind === 'points' ? h('span', { id: `${id}-hint`, class: 'hint' }, t('One corner a line: latitude, longitude.')) : null;
      if (note) note.id = `${id}-kept`;
      const about = [note?.id, hint?.id].filter(Boolean).join(' ');
      if (about) input.setAttribute('aria-describedby', about);
      return fieldBox('field', h('label', { for: id }, title), input, note, hint);
    });
    const save = h('button', { type: 'submit' }, t('Save settings'));
    const form = /** @type {HTMLFormElement} */ (h('form', { class: 'module-settings', 'aria-label': t('{module} settings', { module: m.name }) }, rows, save));
    const edited = () => editing.set(m.name, form);
    form.addEventListener('input', edited);
    form.addEventListener('change', edited);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      // Settings the schema does not declare go back as they came (the module may still read them).
      /** @type {Record<string, unknown>} */
      const settings = Object.fromEntries(Object.entries(m.settings ?? {}).filter(([key]) => !Object.hasOwn(props, key)));
      try {
        for (const [key, input, spec, kind] of fields) {
          const kept = untouched(input);
          if (kept) {
            if (kept.value !== undefined) settings[key] = kept.value;
            continue;
          }
          const title = translated[key]?.title ?? spec.title ?? key;
          if (kind === 'enum') {
            const v = enumValue(/** @type {HTMLSelectElement} */ (input), spec);
            if (v !== undefined) settings[key] = v;
          } else if (kind === 'boolean') settings[key] = /** @type {HTMLInputElement} */ (input).checked;
          else if (kind === 'number') {
            if (input.value !== '') settings[key] = Number(input.value);
          } else if (kind === 'points') settings[key] = parsePoints(input.value, title);
          else if (kind === 'json') settings[key] = JSON.parse(input.value || 'null');
          else if (kind === 'saved') {
            if (input.value.trim() === '') continue;
            try {
              settings[key] = JSON.parse(input.value);
            } catch {
              throw new ListFieldError(t('{field}: not valid JSON', { field: title }), input);
            }
          } else if (kind === 'secret') settings[key] = secretValue(input) ?? '';
          else settings[key] = input.value;
        }
        for (const [key, list] of lists) settings[key] = list.read();
      } catch (err) {
        if (err instanceof ListFieldError) err.field.focus();
        ctx.notify(err instanceof PointsError || err instanceof ListFieldError ? err.message : t('A list setting is not valid JSON'), 'error');
        return;
      }
      save.disabled = true;
      try {
        modules.set(m.name, await api.request('PUT', `/api/v1/modules/${m.name}/settings`, settings));
        editing.delete(m.name);
        // Drawn again from what the hub kept (a secret shown as *** again).
        built.delete(m.name);
        ctx.notify(t('{module}: settings saved', { module: m.name }));
        render();
      } catch (err) {
        ctx.notify(err instanceof ApiError ? refusalText(m, err) : t('Could not save the settings'), 'error');
      } finally {
        save.disabled = false;
      }
    });
    return form;
  };

  /** @param {ModuleStatus} m */
  const formFor = (m) => {
    const from = JSON.stringify([m.settings ?? null, m.settingsSchema, m.translations?.[lang]?.settings ?? null]);
    const kept = built.get(m.name);
    if (kept?.from === from) return kept.form;
    const form = settingsForm(m);
    built.set(m.name, { from, form });
    return form;
  };

  /** @param {ModuleStatus} m */
  const card = (m) => {
    const admin = canManage && ctx.can('fleet');
    const button = h('button', { type: 'button', class: m.enabled ? 'ghost' : '' }, m.enabled ? t('Disable {module}', { module: m.name }) : t('Enable {module}', { module: m.name }));
    button.addEventListener('click', () => void toggle(m, m.enabled ? 'disable' : 'enable', /** @type {HTMLButtonElement} */ (button)));
    const canToggle = admin && !['invalid', 'unsupported'].includes(m.state);
    const details = h('details', { class: 'module-settings-box', open: openForms.has(m.name) }, h('summary', {}, t('Settings')), m.settingsSchema ? (editing.get(m.name) ?? formFor(m)) : h('p', {}, t('No settings.')));
    details.addEventListener('toggle', () => (details.open ? openForms.add(m.name) : openForms.delete(m.name)));
    return h(
      'li',
      { class: `module module--${m.state}`, dataset: { module: m.name } },
      h('div', { class: 'module-head' }, h('strong', {}, m.name), h('span', { class: 'muted' }, [m.version ? ` ${m.version}` : '', m.category ? ` · ${CATEGORY_LABEL[m.category] ?? m.category}` : '']), h('span', { class: `badge badge--${m.state}`, role: 'status', 'aria-label': t('{module} state', { module: m.name }) }, STATE_LABEL[m.state] ?? m.state)),
      m.description && h('p', { class: 'module-description' }, m.translations?.[lang]?.description ?? m.description),
      m.error && h('p', { class: 'module-error', role: 'note', dataset: { problem: m.problem?.code ?? '' } }, reasonText(m), m.retryAt ? h('span', { class: 'module-retry', dataset: { at: m.retryAt } }, nextTry(m.retryAt)) : ''),
      m.runtimeErrors > 0 && h('p', { class: 'muted' }, t({ one: '{count} runtime error since start', other: '{count} runtime errors since start' }, { count: m.runtimeErrors })),
      h('div', { class: 'toolbar' }, canToggle && button),
      admin && m.settingsSchema && details,
    );
  };

  const render = () => {
    // A form carried over (see editing) comes back with its fields; the focus goes back to the same one.
    replaceRows(list, 'module', () => [...modules.values()].map(card));
    if (shown) syncPanels();
  };

  /** Mounts the UI of each loaded module that has one; unmounts the others. */
  const syncPanels = () => {
    for (const [name, panel] of mounted) {
      if (modules.get(name)?.state === 'loaded') continue;
      panel.ui?.destroy?.();
      panel.el.remove();
      mounted.delete(name);
    }
    for (const m of modules.values()) {
      if (m.state !== 'loaded' || !m.hasUi || mounted.has(m.name)) continue;
      const section = h('section', { class: 'module-panel', 'aria-label': t('{module} panel', { module: m.name }) });
      /** @type {{ el: HTMLElement, ui: MountedUi | null }} */
      const panel = { el: section, ui: null };
      mounted.set(m.name, panel);
      panels.append(section);
      void (async () => {
        try {
          const info = await api.get(`/api/v1/modules/${m.name}`);
          const file = String(info.manifest?.entry?.ui ?? '').split('/').pop();
          const ui = await import(`/modules/${encodeURIComponent(m.name)}/ui/${file}`);
          if (mounted.get(m.name) !== panel) return;
          panel.ui = ui.mount(section, { api, stream, config: ctx.config, can: ctx.can, notify: ctx.notify, base: `/api/v1/modules/${m.name}` });
          if (shown) reveal();
        } catch (err) {
          replace(section, h('p', { class: 'module-error' }, t('{module}: its screen did not load ({error})', { module: m.name, error: /** @type {Error} */ (err).message })));
        }
      })();
    }
  };

  // The wait until a module's next try counts down while the screen is open.
  const ticker = setInterval(() => {
    if (!shown) return;
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (list.querySelectorAll('.module-retry'))) el.textContent = nextTry(el.dataset.at ?? '');
  }, 5_000);

  stream.addEventListener('event', (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (ev.type !== HUB_EVENT.MODULE_STATE) return;
    // Events carry no settings (every org hears them): the hub's admins load them again.
    modules.set(ev.data.name, { ...ev.data, settings: modules.get(ev.data.name)?.settings });
    render();
    if (canManage) void load();
  });

  return {
    id: 'modules',
    title: t('Modules'),
    el,
    show: () => {
      shown = true;
      wantFromAddress();
      reveal();
      void load();
    },
    hide: () => {
      shown = false;
    },
    destroy: () => {
      window.removeEventListener('hashchange', onAddress);
      clearInterval(ticker);
      for (const p of mounted.values()) p.ui?.destroy?.();
      mounted.clear();
    },
  };
}

/** A setting that is a list of [latitude, longitude] pairs (a polygon's corners). @param {any} spec */
function isPointList(spec) {
  const item = spec?.items;
  return spec?.type === 'array' && item?.type === 'array' && item.items?.type === 'number' && item.minItems === 2 && item.maxItems === 2;
}

class PointsError extends Error {}

/**
 * "lat, lon" a line (blank lines skipped) to [[lat, lon], ...]; a line that is not one names itself.
 * @param {string} text
 * @param {string} setting
 */
function parsePoints(text, setting) {
  /** @type {number[][]} */
  const points = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const parts = line.split(/[,;\s]+/).filter(Boolean).map(Number);
    if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n)) || Math.abs(parts[0] ?? 0) > 90 || Math.abs(parts[1] ?? 0) > 180) {
      throw new PointsError(t('{setting}, line {line}: write a latitude and a longitude, like 36.20, 36.16', { setting, line: i + 1 }));
    }
    points.push(parts);
  }
  return points;
}

/**
 * The module host's reasons (host.* problem codes) in the reader's language, each a whole sentence
 * with the problem's values. A code missing here reads as the hub wrote it (its English `error`).
 * @type {Record<string, (p: Record<string, string | number>) => string>}
 */
const HUB_PROBLEMS = {
  'host.manifest_invalid': (p) => t('The manifest (module.json) is not valid: {problems}', p),
  'host.unsupported_platform': (p) => t('Runs on {platforms}; this hub is {platform}', p),
  'host.unsupported_capability': (p) => (CAPABILITY_MISSING[p.capability] ?? (() => t('Needs {capability}, which this hub does not have', p)))(),
  'host.core_version': (p) => t('Needs UNIBOS core {range}; this is {version}', p),
  'host.dependency_missing': (p) => t('Depends on module "{module}" ({range}), which is not installed', p),
  'host.dependency_version': (p) => t('Depends on module "{module}" {range}; the one installed is {installed}', p),
  'host.dependency_cycle': (p) => t('Dependency cycle: {cycle}', p),
  'host.dependency_blocked': (p) => t('Depends on module "{module}", which cannot be set up', p),
  'host.dependency_not_loaded': (p) => t('Needs module "{module}", which is not loaded', p),
  'host.dependency_disabled': (p) => t('Needs module "{module}", which is disabled: enable it first', p),
  'host.entry_no_plugin': (p) => t('{entry} has no default export plugin', p),
  'host.entry_load_failed': (p) => t('Cannot load {entry}: {error}', p),
  'host.settings_invalid': (p) => t('The settings are not valid: {error}', p),
  'host.migration_failed': (p) => t('The saved settings could not be migrated: {error}', p),
  'host.setup_failed': (p) => t('Setup failed: {error}', p),
  'host.not_ready': (p) => t('Not ready yet: {error}', p),
  'host.runtime_error': (p) => t('Runtime error in {where}: {error}', p),
};

/** @type {Record<string | number, () => string>} */
const CAPABILITY_MISSING = {
  lora: () => t('Needs LoRa, which this hub does not have'),
  gps: () => t('Needs GPS, which this hub does not have'),
  camera: () => t('Needs a camera, which this hub does not have'),
};

/**
 * Why a module is not working, in the reader's language: the host's reasons by code here, a
 * module's own codes (`cctv.opencv_missing`) from its manifest's translations, with the problem's
 * values; anything else (an older hub, a code not known here) as the hub wrote it in English.
 * @param {ModuleStatus} m
 */
function reasonText(m) {
  const p = m.problem;
  if (!p || typeof p.code !== 'string') return m.error ?? '';
  const params = p.params ?? {};
  const hub = Object.hasOwn(HUB_PROBLEMS, p.code) ? HUB_PROBLEMS[p.code] : undefined;
  if (hub) return hub(params);
  const own = m.translations?.[lang]?.problems?.[p.code];
  if (typeof own === 'string') return translator({ [lang]: { [p.code]: own } })(p.code, params);
  return m.error ?? '';
}

/**
 * Why the hub refused to enable, disable or configure a module: by its code when it gave one (a
 * dependency to enable first), as the hub wrote it otherwise.
 * @param {ModuleStatus} m
 * @param {ApiError} err
 */
function refusalText(m, err) {
  return err.problem ? reasonText({ ...m, problem: err.problem, error: err.message }) : err.message;
}

/** " (next try in 4 min)" after a module's error. @param {string} at */
function nextTry(at) {
  return t(' (next try {when})', { when: timeUntil(at) });
}
