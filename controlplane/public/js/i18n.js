// The UI's languages (English and Turkish): the chosen one comes from the setting kept in this
// browser, else the browser's own languages. Strings are whole sentences with named
// placeholders ({name}); the English text is the key, so a string missing from a catalogue
// still reads in English. Plurals go through Intl.PluralRules, numbers and dates through Intl in
// the chosen locale. A module's UI gets a t() of its own over its own catalogue: translator().

import { TR } from './locales/tr.js';

/** @typedef {'en' | 'tr'} Lang */

export const LANGUAGES = /** @type {const} */ ([
  ['en', 'English'],
  ['tr', 'Türkçe'],
]);
const STORAGE_KEY = 'unibos.lang';
/** @type {Record<Lang, Record<string, string | Record<string, string>>>} */
const CATALOGUES = { en: {}, tr: TR };

/** @returns {Lang} */
function pick() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'en' || stored === 'tr') return stored;
  } catch {
    // Storage may be off: follow the browser.
  }
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = String(l).toLowerCase().split('-')[0];
    if (base === 'tr') return 'tr';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** @type {Lang} */
export let lang = pick();
/** The BCP 47 tag Intl formats with. */
export const locale = () => (lang === 'tr' ? 'tr-TR' : 'en-GB');
document.documentElement.lang = lang;

/** @param {Lang} next */
export function setLang(next) {
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // Not kept: this page still switches.
  }
  lang = next;
  document.documentElement.lang = next;
}

/**
 * Translates `key` (the English sentence) and fills its placeholders. A value `{count}` chooses
 * the plural form when the entry has forms (`{ one, other }`).
 * @param {string | { one: string, other: string }} key
 * @param {Record<string, unknown>} [params]
 */
export function t(key, params = {}) {
  return translate(CATALOGUES[lang], key, params);
}

/**
 * A `t` for a module's UI, over the module's own catalogues (`{ tr: { 'English': 'Türkçe' } }`,
 * plural entries as `{ one, other }`): the same language as the hub's UI, the same placeholders
 * and plurals, and the English key when the module has no entry for it.
 * @param {Partial<Record<Lang, Record<string, string | Record<string, string>>>>} catalogues
 * @returns {(key: string | { one: string, other: string }, params?: Record<string, unknown>) => string}
 */
export function translator(catalogues) {
  return (key, params = {}) => translate(catalogues[lang] ?? {}, key, params);
}

/**
 * @param {Record<string, string | Record<string, string>>} catalogue
 * @param {string | { one: string, other: string }} key
 * @param {Record<string, unknown>} params
 */
function translate(catalogue, key, params) {
  const id = typeof key === 'string' ? key : key.other;
  const entry = Object.hasOwn(catalogue, id) ? catalogue[id] : undefined;
  /** @type {string} */
  let text;
  if (typeof key !== 'string' || (entry && typeof entry === 'object')) {
    const forms = entry && typeof entry === 'object' ? entry : /** @type {Record<string, string>} */ (key);
    const n = typeof params.count === 'number' ? params.count : 0;
    const rule = new Intl.PluralRules(locale()).select(n);
    text = forms[rule] ?? forms.other ?? id;
  } else {
    text = typeof entry === 'string' ? entry : id;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in params)) return m;
    const v = params[name];
    return typeof v === 'number' ? formatNumber(v) : String(v);
  });
}

/**
 * @param {number} value
 * @param {Intl.NumberFormatOptions} [options]
 */
export function formatNumber(value, options = { maximumFractionDigits: 1 }) {
  return new Intl.NumberFormat(locale(), options).format(value);
}
