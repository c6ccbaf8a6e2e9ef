// A module setting that is a list of objects with declared item properties (cctv's cameras) as a
// form: each item its own group of labelled fields named for it ("Camera 2: Source"), a Remove
// button per item, Add with the schema's defaults; read back into the JSON the hub's API takes.
// A nested list or object inside an item (a camera's zones) stays a small JSON field. A field the
// admin leaves as drawn sends back the value stored, exactly (see keepDrawn), in this form and in
// the module settings form (modules-view.js), so editing one field never changes another.

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
 * What each field stood for when it was drawn: the stored value and how the field showed it. A
 * field still showing that gives the stored value back as it was (left out when none was stored),
 * not the field's reading of it: a number in a text field stays a number, an unset checkbox stays
 * unset, a choice the schema no longer lists stays, an empty optional field stays absent.
 * @type {WeakMap<Element, { state: string, stored: unknown }>}
 */
const drawn = new WeakMap();

/** @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input */
const stateOf = (input) =>
  input instanceof HTMLInputElement && input.type === 'checkbox' ? `${input.checked}/${input.indeterminate}` : input instanceof HTMLSelectElement ? `#${input.selectedIndex}` : input.value;

/**
 * Remembers `input`, as it shows now, as showing `stored`.
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input
 * @param {unknown} stored undefined: nothing was stored
 */
export function keepDrawn(input, stored) {
  drawn.set(input, { state: stateOf(input), stored });
}

/**
 * `{ value }`, the stored value, when the field still shows what it was drawn with; null when the
 * admin changed it (read the field then).
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input
 * @returns {{ value: unknown } | null}
 */
export function untouched(input) {
  const d = drawn.get(input);
  return d && d.state === stateOf(input) ? { value: d.stored } : null;
}

/**
 * The field a setting's schema asks for: a choice, a checkbox, a number, a JSON text, a secret or
 * a text; `points` ([latitude, longitude] pairs, one a line) only where the caller draws them.
 * @typedef {'enum' | 'boolean' | 'number' | 'json' | 'secret' | 'text' | 'points'} FieldKind
 */

/**
 * Whether a field of `kind` shows `value` as it is. A value it cannot show (text in a number field,
 * a number in a text field, "yes" in a checkbox) is drawn as JSON instead, saying so (savedAsJson).
 * @param {FieldKind} kind
 * @param {unknown} value undefined: nothing stored (an empty field)
 */
export function showsAsIs(kind, value) {
  if (value === undefined) return true;
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'text':
    case 'secret':
      return typeof value === 'string';
    case 'points':
      return Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => typeof n === 'number' && Number.isFinite(n)));
    default:
      // A choice not listed is drawn as its own choice (enumSelect); JSON shows anything.
      return true;
  }
}

/**
 * A stored value its field cannot show, as JSON, with a note saying so; sent back as it is unless
 * the admin edits it. The note's id is `${id}-kept` (the caller may renumber it).
 * @param {unknown} value
 * @param {string} [id]
 */
export function savedAsJson(value, id) {
  const input = /** @type {HTMLTextAreaElement} */ (h('textarea', { id, rows: '2', spellcheck: 'false', class: 'mono' }));
  input.value = JSON.stringify(value) ?? '';
  const note = h('span', { class: 'hint setting-kept' }, t('The saved value is not what this field takes, so it is shown as JSON; it is kept as it is unless you change it.'));
  return { input, note };
}

/**
 * A choice of the schema's enum, by name. Nothing stored: a blank first choice (sent as nothing).
 * A stored value that is none of the choices (an older version's): its own choice, marked, and a
 * note; kept unless the admin picks another.
 * @param {{ id?: string, spec: any, value: unknown, label: (c: unknown) => string, required?: boolean }} o
 */
export function enumSelect({ id, spec, value, label, required }) {
  const same = (/** @type {unknown} */ c) => c === value || (typeof c === 'object' && c !== null && JSON.stringify(c) === JSON.stringify(value));
  const listed = spec.enum.some(same);
  const options = spec.enum.map((/** @type {unknown} */ c, /** @type {number} */ i) => h('option', { value: String(c), selected: same(c), dataset: { choice: String(i) } }, label(c)));
  /** @type {HTMLElement | null} */
  let note = null;
  if (value === undefined) options.unshift(h('option', { value: '' }, ''));
  else if (!listed) {
    const shown = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
    options.unshift(h('option', { value: shown, selected: true, dataset: { saved: 'true' } }, t('{value} (saved; not one of the choices)', { value: shown })));
    note = h('span', { class: 'hint setting-kept' }, t('The saved value is not one of the choices; it is kept unless you choose one.'));
  }
  const input = /** @type {HTMLSelectElement} */ (h('select', { id, required }, options));
  return { input, note };
}

/**
 * What an edited choice sends: the schema's value (a number stays a number), the stored one for
 * its own marked choice, nothing for the blank one.
 * @param {HTMLSelectElement} select
 * @param {any} spec
 */
export function enumValue(select, spec) {
  const option = select.selectedOptions[0];
  if (option?.dataset.saved === 'true') return drawn.get(select)?.stored;
  // The blank choice has no place in the enum ("" may be one of the choices).
  return option?.dataset.choice === undefined ? undefined : spec.enum[Number(option.dataset.choice)];
}

/**
 * A checkbox. Nothing stored and no default: neither ticked nor unticked (indeterminate), with a
 * note, and left unset unless the admin ticks or unticks it.
 * @param {{ id?: string, value: unknown }} o
 */
export function checkbox({ id, value }) {
  const input = /** @type {HTMLInputElement} */ (h('input', { id, type: 'checkbox', checked: value === true }));
  /** @type {HTMLElement | null} */
  let note = null;
  if (value === undefined) {
    input.indeterminate = true;
    note = h('span', { class: 'hint setting-kept' }, t('Not set; it stays unset unless you tick or untick it.'));
  }
  return { input, note };
}

/**
 * A field's box: its label, its control, then what is said about it (a note, the help). A checkbox
 * sits beside its label (app.css lays out a .field holding one as a row), so what is said about it
 * goes under that row, not squeezed beside it.
 * @param {string} className
 * @param {HTMLElement} label
 * @param {HTMLElement} input
 * @param {HTMLElement | null} note
 * @param {HTMLElement | null} hint
 */
export function fieldBox(className, label, input, note, hint) {
  if (input instanceof HTMLInputElement && input.type === 'checkbox' && (note || hint)) {
    const row = h('div', { class: 'field' }, label, input);
    row.style.marginBottom = '0';
    return h('div', { class: className }, row, note, hint);
  }
  return h('div', { class: className }, label, input, note, hint);
}

/** @param {any} spec */
export const typeOf = (spec) => (Array.isArray(spec?.type) ? spec.type.find((/** @type {string} */ x) => x !== 'null') : spec?.type);

/**
 * A module's words for one item property, or for the list (translations.<lang>.settings.<key>).
 * @typedef {{ title?: string, description?: string, enumTitles?: Record<string, string> }} FieldWords
 * @typedef {{ title?: string, enumTitles?: Record<string, string>, itemTitle?: string, items?: Record<string, FieldWords> }} ListWords
 * @typedef {{ key: string, spec: any, kind: FieldKind | 'saved', name: string,
 *   input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, label: HTMLLabelElement, prefix: HTMLElement, hint: HTMLElement | null, note: HTMLElement | null, el: HTMLElement }} Field
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
    // null stays a JSON field showing null: the list editor would send it back as [].
    (value === undefined || (Array.isArray(value) && value.every(isObject)))
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
    let kind = Array.isArray(p.enum) ? 'enum' : type === 'boolean' ? 'boolean' : type === 'number' || type === 'integer' ? 'number' : type === 'array' || type === 'object' ? 'json' : p.writeOnly || p.format === 'password' ? 'secret' : 'text';
    /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
    let input;
    /** Says why the field shows what it shows (a value it cannot show as it is). @type {HTMLElement | null} */
    let note = null;
    if (!showsAsIs(kind, v)) {
      kind = 'saved';
      ({ input, note } = savedAsJson(v));
    } else if (kind === 'enum') {
      const label = (/** @type {unknown} */ c) => w.enumTitles?.[String(c)] ?? p.enumTitles?.[String(c)] ?? String(c);
      ({ input, note } = enumSelect({ spec: p, value: v, label, required: isRequired }));
    } else if (kind === 'boolean') {
      ({ input, note } = checkbox({ value: v }));
    } else if (kind === 'number') {
      input = h('input', { type: 'number', inputmode: type === 'integer' ? 'numeric' : 'decimal', step: type === 'integer' ? '1' : 'any', min: p.minimum, max: p.maximum, required: isRequired, value: typeof v === 'number' ? v : '' });
    } else if (kind === 'json') {
      input = h('textarea', { rows: '2', spellcheck: 'false', class: 'mono' });
      input.value = v === undefined ? '' : JSON.stringify(v);
    } else if (kind === 'secret') {
      input = secretInput(v);
    } else {
      const example = Array.isArray(p.examples) && typeof p.examples[0] === 'string' ? p.examples[0] : undefined;
      input = h('input', { type: 'text', value: typeof v === 'string' ? v : '', maxlength: p.maxLength, placeholder: example, required: isRequired, autocomplete: 'off', spellcheck: 'false' });
    }
    // What is stored, not the default shown for nothing stored: sent back untouched, nothing stays nothing (the hub fills in its defaults).
    keepDrawn(input, stored);
    const about = w.description ?? p.description;
    const hint = typeof about === 'string' && about ? h('span', { class: 'hint' }, about) : null;
    // The item's name before each label, for a screen reader ("Camera 2: Source"); on screen the group's legend says it.
    const prefix = h('span', { class: 'visually-hidden' });
    const label = /** @type {HTMLLabelElement} */ (h('label', {}, prefix, name));
    const wide = kind === 'text' || kind === 'json' || kind === 'secret' || kind === 'boolean' || kind === 'saved' || note !== null;
    return { key, spec: p, kind, name, input, label, prefix, hint, note, el: fieldBox(`field setting-list-field${wide ? ' setting-list-field--wide' : ''}`, label, input, note, hint) };
  };

  /** @param {Record<string, unknown>} obj */
  const makeItem = (obj) => {
    const legend = h('legend', {});
    const fields = props.map(([key, p]) => makeField(key, p, obj[key]));
    const remove = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'setting-list-remove' }, t('Remove')));
    const box = h('fieldset', { class: 'setting-list-item' }, legend, h('div', { class: 'setting-list-fields' }, fields.map((f) => f.el)), h('div', { class: 'setting-list-actions' }, remove));
    // Properties the schema does not declare (the module may still read them) go back as they came.
    const extra = Object.fromEntries(Object.entries(obj).filter(([k]) => !Object.hasOwn(itemSpec.properties, k)));
    // What each control stands for, not where it is: after another admin's save removed an earlier
    // item, the keyboard goes back to this item's field, not to the one now in its place.
    const stored = `${id}\u0000${JSON.stringify(obj)}`;
    for (const f of fields) f.input.dataset.same = `${stored}\u0000${f.key}`;
    remove.dataset.same = `${stored}\u0000remove`;
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
        if (f.note) f.note.id = `${fid}-kept`;
        if (f.hint) f.hint.id = `${fid}-hint`;
        const about = [f.note?.id, f.hint?.id].filter(Boolean).join(' ');
        if (about) f.input.setAttribute('aria-describedby', about);
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
    const kept = untouched(input);
    if (kept) return kept.value;
    switch (f.kind) {
      case 'boolean':
        return /** @type {HTMLInputElement} */ (input).checked;
      case 'number':
        return input.value === '' ? undefined : Number(input.value);
      case 'enum':
        return enumValue(/** @type {HTMLSelectElement} */ (input), f.spec);
      case 'saved':
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
