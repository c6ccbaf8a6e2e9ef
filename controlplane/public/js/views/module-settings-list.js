// A module setting that is a list of objects with declared item properties (cctv's cameras) as a
// form: each item its own group of labelled fields named for it ("Camera 2: Source"), a Remove
// button per item, Add with the schema's defaults; read back into the JSON the hub's API takes.
// A nested list or object inside an item (a camera's zones) stays a small JSON field.

import { h } from '../dom.js';
import { lang, t } from '../i18n.js';

/** What the hub shows for a stored secret (settings-secrets.ts); sent back, it keeps the secret. */
export const SECRET_SHOWN = '***';

/**
 * A secret setting's field: empty, saying a stored one is unchanged (typing into a field holding
 * *** would save "***" and the new text); left empty, secretValue sends *** back, which keeps it.
 * @param {unknown} stored
 * @param {string} [id]
 */
export function secretInput(stored, id) {
  const input = /** @type {HTMLInputElement} */ (h('input', { id, type: 'password', autocomplete: 'new-password', value: '', placeholder: stored === SECRET_SHOWN ? t('Unchanged (type to replace)') : '' }));
  input.dataset.kept = String(stored === SECRET_SHOWN);
  return input;
}

/**
 * What a secret field sends: what was typed, else *** for a stored one kept, else nothing.
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input
 */
export function secretValue(input) {
  return input.value === '' ? (input.dataset.kept === 'true' ? SECRET_SHOWN : undefined) : input.value;
}

/**
 * A module's words for one item property, or for the list (translations.<lang>.settings.<key>).
 * @typedef {{ title?: string, description?: string, enumTitles?: Record<string, string> }} FieldWords
 * @typedef {{ title?: string, enumTitles?: Record<string, string>, itemTitle?: string, items?: Record<string, FieldWords> }} ListWords
 * @typedef {{ key: string, spec: any, kind: 'enum' | 'boolean' | 'number' | 'json' | 'secret' | 'text', name: string,
 *   input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, label: HTMLLabelElement, prefix: HTMLElement, hint: HTMLElement | null, el: HTMLElement }} Field
 * @typedef {{ box: HTMLElement, legend: HTMLElement, fields: Field[], remove: HTMLButtonElement, extra: Record<string, unknown>, name: string }} Item
 */

/** A value the form cannot send, with the field to go back to. */
export class ListFieldError extends Error {
  /**
   * @param {string} message
   * @param {HTMLElement} field
   */
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

/** @param {any} spec */
const typeOf = (spec) => (Array.isArray(spec?.type) ? spec.type.find((/** @type {string} */ x) => x !== 'null') : spec?.type);
/** @param {unknown} v */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether a setting is edited item by item: a list whose items are objects with declared
 * properties, holding such items (a stored value of another shape stays the JSON field it was).
 * @param {any} spec
 * @param {unknown} value
 */
export function isItemList(spec, value) {
  const items = spec?.items;
  return (
    typeOf(spec) === 'array' &&
    isObject(items) &&
    (items.type ?? 'object') === 'object' &&
    isObject(items.properties) &&
    Object.keys(items.properties).length > 0 &&
    (value === undefined || value === null || (Array.isArray(value) && value.every(isObject)))
  );
}

/**
 * @param {{ id: string, spec: any, value: unknown, title: string, words?: ListWords }} o
 * `id`: the setting's id; it is on the list's first control (the first item's first field, or Add
 * when there is none), where a module's own screen sends the focus ("Add or change cameras").
 * @returns {{ el: HTMLElement, read: () => Array<Record<string, unknown>> }}
 */
export function itemListEditor({ id, spec, value, title, words = {} }) {
  const itemSpec = spec.items;
  /** @type {Array<[string, any]>} */
  const props = Object.entries(itemSpec.properties).filter(([, p]) => isObject(p));
  const required = new Set(Array.isArray(itemSpec.required) ? itemSpec.required : []);
  const noun = words.itemTitle ?? itemSpec.title ?? t('Item');
  /** @type {Item[]} */
  const items = [];
  const list = h('div', { class: 'setting-list-items' });
  const empty = h('p', { class: 'hint setting-list-empty' }, t('None yet.'));
  const add = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'setting-list-add' }, t('Add {item}', { item: noun.toLocaleLowerCase(lang) })));
  // Says what Add and Remove did: the list changes where a screen reader's user is not looking.
  const said = h('p', { class: 'visually-hidden', role: 'status' });
  const el = h('fieldset', { class: 'field setting-list' }, h('legend', {}, title), list, empty, h('div', { class: 'setting-list-actions' }, add), said);

  /**
   * @param {string} key
   * @param {any} p
   * @param {unknown} stored
   * @returns {Field}
   */
  const makeField = (key, p, stored) => {
    const w = words.items?.[key] ?? {};
    const name = w.title ?? p.title ?? key;
    const type = typeOf(p);
    const v = stored === undefined ? p.default : stored;
    const isRequired = required.has(key);
    /** @type {Field['kind']} */
    let kind;
    /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
    let input;
    if (Array.isArray(p.enum)) {
      kind = 'enum';
      const label = (/** @type {unknown} */ c) => w.enumTitles?.[String(c)] ?? p.enumTitles?.[String(c)] ?? String(c);
      const blank = v === undefined ? [h('option', { value: '' }, '')] : [];
      input = h('select', { required: isRequired }, blank, p.enum.map((/** @type {unknown} */ c) => h('option', { value: String(c), selected: c === v }, label(c))));
    } else if (type === 'boolean') {
      kind = 'boolean';
      input = h('input', { type: 'checkbox', checked: v === true });
    } else if (type === 'number' || type === 'integer') {
      kind = 'number';
      input = h('input', { type: 'number', inputmode: type === 'integer' ? 'numeric' : 'decimal', step: type === 'integer' ? '1' : 'any', min: p.minimum, max: p.maximum, required: isRequired, value: typeof v === 'number' ? v : '' });
    } else if (type === 'array' || type === 'object') {
      kind = 'json';
      input = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono' });
      input.value = v === undefined || v === null ? '' : JSON.stringify(v);
    } else if (p.writeOnly || p.format === 'password') {
      kind = 'secret';
      input = secretInput(v);
    } else {
      kind = 'text';
      const example = Array.isArray(p.examples) && typeof p.examples[0] === 'string' ? p.examples[0] : undefined;
      input = h('input', { type: 'text', value: typeof v === 'string' ? v : '', maxlength: p.maxLength, placeholder: example, required: isRequired, autocomplete: 'off', spellcheck: 'false' });
    }
    const about = w.description ?? p.description;
    const hint = typeof about === 'string' && about ? h('span', { class: 'hint' }, about) : null;
    // The item's name before each label, for a screen reader ("Camera 2: Source"); on screen the group's legend says it.
    const prefix = h('span', { class: 'visually-hidden' });
    const label = /** @type {HTMLLabelElement} */ (h('label', {}, prefix, name));
    const wide = kind === 'text' || kind === 'json' || kind === 'secret' || kind === 'boolean';
    return { key, spec: p, kind, name, input, label, prefix, hint, el: h('div', { class: `field setting-list-field${wide ? ' setting-list-field--wide' : ''}` }, label, input, hint) };
  };

  /** @param {Record<string, unknown>} obj */
  const makeItem = (obj) => {
    const legend = h('legend', {});
    const fields = props.map(([key, p]) => makeField(key, p, obj[key]));
    const remove = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'setting-list-remove' }, t('Remove')));
    const box = h('fieldset', { class: 'setting-list-item' }, legend, h('div', { class: 'setting-list-fields' }, fields.map((f) => f.el)), h('div', { class: 'setting-list-actions' }, remove));
    // Properties the schema does not declare (the module may still read them) go back as they came.
    const extra = Object.fromEntries(Object.entries(obj).filter(([k]) => !Object.hasOwn(itemSpec.properties, k)));
    /** @type {Item} */
    const item = { box, legend, fields, remove, extra, name: '' };
    remove.addEventListener('click', () => removeItem(item));
    return item;
  };

  /** Names, ids and labels by position: after a removal, "Camera 3" is "Camera 2". */
  const renumber = () => {
    items.forEach((item, i) => {
      item.name = t('{item} {number}', { item: noun, number: i + 1 });
      item.legend.textContent = item.name;
      item.remove.setAttribute('aria-label', t('Remove {item}', { item: item.name }));
      item.fields.forEach((f, j) => {
        const fid = i === 0 && j === 0 ? id : `${id}-${i + 1}-${f.key}`;
        f.input.id = fid;
        f.label.htmlFor = fid;
        f.prefix.textContent = `${item.name}: `;
        if (f.hint) {
          f.hint.id = `${fid}-hint`;
          f.input.setAttribute('aria-describedby', f.hint.id);
        }
      });
    });
    add.id = items.length > 0 ? `${id}-add` : id;
    empty.hidden = items.length > 0;
  };

  /** The form notices (unsaved edits are kept across a redraw of the modules list). */
  const changed = () => el.dispatchEvent(new Event('change', { bubbles: true }));

  /** @param {Item} item */
  const removeItem = (item) => {
    const at = items.indexOf(item);
    if (at < 0) return;
    const name = item.name;
    items.splice(at, 1);
    item.box.remove();
    renumber();
    (items[at]?.fields[0]?.input ?? add).focus();
    said.textContent = t('{item} removed', { item: name });
    changed();
  };

  add.addEventListener('click', () => {
    /** @type {Record<string, unknown>} */
    const fresh = {};
    for (const [key, p] of props) if (p.default !== undefined) fresh[key] = structuredClone(p.default);
    const item = makeItem(fresh);
    items.push(item);
    list.append(item.box);
    renumber();
    item.fields[0]?.input.focus();
    said.textContent = t('{item} added', { item: item.name });
    changed();
  });

  for (const obj of Array.isArray(value) ? value : []) {
    const item = makeItem(/** @type {Record<string, unknown>} */ (obj));
    items.push(item);
    list.append(item.box);
  }
  renumber();

  /**
   * @param {Field} f
   * @param {string} where "Camera 2: Source", for a problem
   * @returns {unknown} undefined: left out (empty and optional)
   */
  const readField = (f, where) => {
    const input = f.input;
    switch (f.kind) {
      case 'boolean':
        return /** @type {HTMLInputElement} */ (input).checked;
      case 'number':
        return input.value === '' ? undefined : Number(input.value);
      case 'enum':
        return input.value === '' ? undefined : f.spec.enum.find((/** @type {unknown} */ c) => String(c) === input.value);
      case 'json': {
        if (input.value.trim() === '') return undefined;
        try {
          return JSON.parse(input.value);
        } catch {
          throw new ListFieldError(t('{field}: not valid JSON', { field: where }), input);
        }
      }
      case 'secret':
        return secretValue(input);
      default: {
        if (input.value === '') return undefined;
        // The schema's pattern checked here, so the admin reads the rule in words, not a regular expression.
        if (typeof f.spec.pattern === 'string' && !safeTest(f.spec.pattern, input.value)) {
          throw new ListFieldError(f.hint ? t('{field} is not valid: {rule}', { field: where, rule: f.hint.textContent ?? '' }) : t('{field} is not valid', { field: where }), input);
        }
        return input.value;
      }
    }
  };

  const read = () =>
    items.map((item) => {
      /** @type {Record<string, unknown>} */
      const out = {};
      for (const f of item.fields) {
        const v = readField(f, `${item.name}: ${f.name}`);
        if (v !== undefined) out[f.key] = v;
      }
      return { ...item.extra, ...out };
    });

  return { el, read };
}

/**
 * A JSON Schema pattern against a value as the hub's validator reads it (Unicode); a pattern this
 * browser cannot read is left to the hub.
 * @param {string} pattern
 * @param {string} value
 */
function safeTest(pattern, value) {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return true;
  }
}
