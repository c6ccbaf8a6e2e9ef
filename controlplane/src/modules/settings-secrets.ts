// Passwords inside module settings (a camera's rtsp://user:pass@..., a feed's ?token=..., a
// setting of its own such as `apiKey`) never go to the browser, not even to the hub's admins: the
// settings are shown with them replaced by ***, and settings saved back with *** where a stored
// value had its secret get that secret again. A secret inside a URL is module-api's (redactUrl), as
// in the modules' own labels and errors; a whole setting is a secret when the module's schema says
// so (JSON Schema's `writeOnly`, or `format: "password"`) or its name does (password, secret,
// token, apiKey, ...), at any depth.

import { HIDDEN_SECRET, redactUrl } from '@unibos/module-api';
import { HubError } from '../hub-error.ts';

/** A string that is an address with a scheme (rtsp://, http://, ...): the only place a secret is looked for. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A URL's password and secret query values replaced; any other string as it is. */
function hideInString(text: string): string {
  if (!URL_LIKE.test(text)) return text;
  const shown = redactUrl(text);
  return shown.includes(HIDDEN_SECRET) ? shown : text;
}

/** A JSON Schema, as far as finding a setting's own schema goes. */
type Schema = { properties?: Record<string, Schema>; items?: Schema; writeOnly?: boolean; format?: string } | undefined;

/** Where a string sits: its path (an array item by its `id` or `name` if it has one, so reordering keeps it) and whether it is a secret as a whole. */
interface Place {
  path: string;
  secret: boolean;
}

/** Words that make a setting's name a secret's, in camelCase, snake_case or kebab-case. */
const SECRET_WORDS = /(^|[^a-z])(pass(word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key)($|[^a-z])/;

function secretName(key: string): boolean {
  return SECRET_WORDS.test(key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
}

function map(value: unknown, f: (s: string, at: Place) => string, schema: Schema = undefined, at: Place = { path: '', secret: false }): unknown {
  if (typeof value === 'string') return f(value, at);
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      const item = v as { id?: unknown; name?: unknown } | null;
      const name = typeof item?.id === 'string' ? `#${item.id}` : typeof item?.name === 'string' ? `@${item.name}` : String(i);
      return map(v, f, schema?.items, { path: `${at.path}[${name}]`, secret: at.secret });
    });
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        const own = schema?.properties?.[k];
        const secret = at.secret || own?.writeOnly === true || own?.format === 'password' || secretName(k);
        return [k, map(v, f, own, { path: `${at.path}.${k}`, secret })];
      }),
    );
  }
  return value;
}

/** Every string in the settings, however deep, with where it is. */
function strings(value: unknown, schema: Schema): Array<[string, Place]> {
  const out: Array<[string, Place]> = [];
  map(value, (s, at) => (out.push([s, at]), s), schema);
  return out;
}

function hide(text: string, at: Place): string {
  return at.secret && text !== '' ? HIDDEN_SECRET : hideInString(text);
}

/** The settings as the browser may see them. `schema`: the module's settings schema. */
export function hideSecrets<T>(settings: T, schema?: unknown): T {
  return map(settings, hide, schema as Schema) as T;
}

/**
 * Settings from the browser, with the secrets the browser was shown as *** put back: a string that
 * is exactly what `hideSecrets` made of a stored one (left as shown) is that stored string again;
 * a URL edited around its *** (a camera moved to another path or port) takes the stored secret of
 * the same user at the same host. A *** with no such URL stored is refused: saved, it would be
 * the password.
 */
export function keepSecrets<T>(submitted: T, stored: unknown, schema?: unknown): T {
  const storedStrings = strings(stored, schema as Schema);
  const known = new Map<string, string>();
  const storedAt = new Map<string, string>();
  for (const [s, at] of storedStrings) {
    const shown = hide(s, at);
    if (shown !== s && !at.secret) known.set(shown, s);
    if (at.secret) storedAt.set(at.path, s);
  }
  const storedUrls = storedStrings.flatMap(([s]) => parsedUrl(s) ?? []);
  return map(submitted, (s, at) => {
    if (at.secret && s === HIDDEN_SECRET) {
      const same = storedAt.get(at.path);
      if (!same) throw new HubError('E_BAD_REQUEST', `${at.path.slice(1)} is shown as ${HIDDEN_SECRET} but no value is stored there: type it again`);
      return same;
    }
    const exact = known.get(s);
    if (exact !== undefined) return exact;
    const u = s.includes(HIDDEN_SECRET) ? parsedUrl(s) : null;
    if (!u) return s;
    const hidden = [...u.searchParams.entries()].filter(([, v]) => v === HIDDEN_SECRET).map(([k]) => k);
    if (u.password !== HIDDEN_SECRET && hidden.length === 0) return s;
    const same = storedUrls.find((o) => o.protocol === u.protocol && o.username === u.username && o.hostname === u.hostname);
    if (!same || (u.password === HIDDEN_SECRET && !same.password) || hidden.some((k) => !same.searchParams.has(k))) {
      throw new HubError('E_BAD_REQUEST', `${redactUrl(s)} has a password shown as ${HIDDEN_SECRET} that belongs to no stored address of that user and host: type the password again`);
    }
    if (u.password === HIDDEN_SECRET) u.password = same.password;
    for (const k of hidden) u.searchParams.set(k, same.searchParams.get(k) ?? '');
    return u.toString();
  }, schema as Schema) as T;
}

function parsedUrl(text: string): URL | null {
  if (!URL_LIKE.test(text)) return null;
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
