// The language switch: in the top bar and on the sign-in and setup pages, so a user can choose the
// language before signing in. The choice is kept in this browser (i18n.js) and the page loads
// again in it (a signed-in session stays; a setup link keeps its token in the address).

import { h } from './dom.js';
import { LANGUAGES, lang, setLang, t } from './i18n.js';

/**
 * A <select> of the UI's languages, each named in its own language, the current one chosen.
 * @param {{ id: string, className: string, label?: boolean, name?: string }} opts `label`: the
 *   select is named by a visible label the caller places (`for` = id); else by aria-label, `name`
 *   or "Language".
 * @returns {HTMLSelectElement}
 */
export function languageSelect({ id, className, label = false, name = t('Language') }) {
  const select = h('select', { id, class: className, ...(label ? {} : { 'aria-label': name }) }, LANGUAGES.map(([code, own]) => h('option', { value: code, lang: code, selected: code === lang }, own)));
  select.addEventListener('change', () => {
    setLang(/** @type {'en' | 'tr'} */ (select.value));
    location.reload();
  });
  return select;
}

/**
 * The select in a box that, where app.css makes it compact (a phone's top bar, where a long user
 * name needs the room), shows only the language's code ("EN", "TR") over the select; the list it
 * opens still names each language in its own words. Its name holds that code ("Language: EN"), so
 * a voice-control user who says what they see finds it (WCAG 2.5.3, label in name).
 * @param {{ id: string, className: string }} opts
 */
export function compactLanguageSelect(opts) {
  const code = lang.toUpperCase();
  return h('span', { class: 'lang-pick' }, h('span', { class: 'lang-code', 'aria-hidden': 'true' }, code), languageSelect({ ...opts, name: t('Language: {code}', { code }) }));
}
