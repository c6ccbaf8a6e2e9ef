// Passwords inside module settings (a camera's rtsp://user:pass@..., a feed's ?token=...) never go
// to the browser, not even to the hub's admins: the settings are shown with them replaced by ***,
// and settings saved back with *** where a stored value had its secret get that secret again.
// What counts as a secret is module-api's (redactUrl), as in the modules' own labels and errors.

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

function map(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => map(v, f));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(v, f)]));
  return value;
}

/** Every string in the settings, however deep. */
function strings(value: unknown): string[] {
  const out: string[] = [];
  map(value, (s) => (out.push(s), s));
  return out;
}

/** The settings as the browser may see them. */
export function hideSecrets<T>(settings: T): T {
  return map(settings, hideInString) as T;
}

/**
 * Settings from the browser, with the secrets the browser was shown as *** put back: a string that
 * is exactly what `hideSecrets` made of a stored one (left as shown) is that stored string again;
 * a URL edited around its *** (a camera moved to another path or port) takes the stored secret of
 * the same user at the same host. A *** with no such URL stored is refused: saved, it would be
 * the password.
 */
export function keepSecrets<T>(submitted: T, stored: unknown): T {
  const storedStrings = strings(stored);
  const known = new Map<string, string>();
  for (const s of storedStrings) {
    const shown = hideInString(s);
    if (shown !== s) known.set(shown, s);
  }
  const storedUrls = storedStrings.flatMap((s) => parsedUrl(s) ?? []);
  return map(submitted, (s) => {
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
  }) as T;
}

function parsedUrl(text: string): URL | null {
  if (!URL_LIKE.test(text)) return null;
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
