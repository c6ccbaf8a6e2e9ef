// Element builders. Text always goes in as text nodes, never parsed as HTML: node names, texts
// and alert messages come from the mesh and are untrusted.

/**
 * @typedef {Node | string | number | null | undefined | false | Child[]} Child
 * @typedef {Record<string, unknown>} Props
 */

/**
 * Creates an HTML element. Props: `class`, `dataset` (object), `on<event>` (listener),
 * booleans (true = empty attribute, false/null = absent), anything else as an attribute.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an SVG element (same props as h()).
 * @param {string} tag
 * @param {Props} [props]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function svg(tag, props = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  setProps(el, props);
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {Props} props
 */
function setProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', String(value));
    else if (key === 'dataset' && el instanceof HTMLElement) Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'value' && 'value' in el) /** @type {HTMLInputElement} */ (el).value = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/**
 * Appends children (strings become text nodes).
 * @param {Element} el
 * @param {Child[]} children
 */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(typeof child === 'number' ? String(child) : child);
  }
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...Child} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * `control` (inside a row of `el` marked `data-<key>`) as `el` shows it now: itself if it is still
 * in the page, else the one with the same `data-same` (what it stands for, where its id is only a
 * position: a list item's field), else the one with its id, else the row with the same key when
 * the row itself was the control, else the control of the same kind and name in that row. Live
 * data redraws rows while a user is on them.
 * @param {Element} el
 * @param {string} key the rows' data attribute, e.g. 'node-id' for data-node-id
 * @param {Element} control
 * @returns {HTMLElement | null}
 */
export function sameControl(el, key, control) {
  if (control.isConnected) return /** @type {HTMLElement} */ (control);
  const same = control.getAttribute('data-same');
  const bySame = same === null ? undefined : [...el.querySelectorAll('[data-same]')].find((x) => x.getAttribute('data-same') === same);
  if (bySame instanceof HTMLElement) return bySame;
  // A form's fields have ids (and no words of their own to tell them apart by).
  const byId = control.id ? el.querySelector(`#${CSS.escape(control.id)}`) : null;
  if (byId instanceof HTMLElement) return byId;
  const keyed = control.closest(`[data-${key}]`);
  const row = keyed?.getAttribute(`data-${key}`);
  if (row === undefined || row === null) return null;
  const selector = `[data-${key}="${CSS.escape(row)}"]`;
  if (keyed === control) return el.querySelector(selector);
  const name = (/** @type {Element} */ x) => x.getAttribute('aria-label') ?? x.textContent;
  return /** @type {HTMLElement | undefined} */ ([...el.querySelectorAll(`${selector} ${control.tagName}`)].find((x) => name(x) === name(control))) ?? null;
}

/**
 * Replaces the rows of a live table or list and gives the keyboard focus back (see sameControl):
 * without this a keyboard or screen-reader user is thrown back to the top of the page on every
 * redraw.
 * @param {Element} el
 * @param {string} key the rows' data attribute, e.g. 'node-id' for data-node-id
 * @param {Child[] | (() => Child[])} rows the rows, or what makes them when making them moves
 *   elements out of `el` (a form carried over into its redrawn row)
 */
export function replaceRows(el, key, rows) {
  const focused = document.activeElement instanceof HTMLElement && el.contains(document.activeElement) ? document.activeElement : null;
  replace(el, typeof rows === 'function' ? rows() : rows);
  if (focused && document.activeElement !== focused) sameControl(el, key, focused)?.focus();
}

/** @type {CanvasRenderingContext2D | null} */
let measurer = null;
/** Widths measured so far, by font and text: labels are placed again at every pan and zoom. */
const widths = new Map();

/**
 * Whether two boxes share any area: DOMRects, or any { left, top, right, bottom } in the same
 * coordinates (labels placed clear of markers, names and a map's buttons).
 * @param {{ left: number, top: number, right: number, bottom: number }} a
 * @param {{ left: number, top: number, right: number, bottom: number }} b
 */
export function overlaps(a, b) {
  return a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;
}

/**
 * How wide `text` is drawn in `font` (a CSS font), whole pixels: for placing map labels before they
 * are in the page.
 * @param {string} text
 * @param {string} font
 */
export function textWidth(text, font) {
  const key = `${font}|${text}`;
  let w = widths.get(key);
  if (w === undefined) {
    measurer ??= /** @type {CanvasRenderingContext2D} */ (document.createElement('canvas').getContext('2d'));
    measurer.font = font;
    w = Math.ceil(measurer.measureText(text).width);
    widths.set(key, w);
  }
  return w;
}
