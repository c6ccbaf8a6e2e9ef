// Passwords inside module settings (a camera's rtsp://user:pass@..., a feed's ?token=...) never go
// to the browser, not even to the hub's admins: the settings are shown with them replaced by ***,
// and settings saved back with *** where a stored value had its secret get that secret again.
// What counts as a secret is module-api's (redactUrl), as in the modules' own labels and errors.

import { HIDDEN_SECRET, redactUrl } from '@unibos/module-api';

/** A URL's password and secret query values replaced; any other string as it is. */
function hideInString(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  const shown = redactUrl(text);
  return shown.includes(HIDDEN_SECRET) ? shown : text;
}

function map(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => map(v, f));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(v, f)]));
  return value;
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** The settings as the browser may see them. */
export function hideSecrets<T>(settings: T): T {
  return map(settings, hideInString) as T;
}

/**
 * Settings from the browser: a string that is exactly what `hideSecrets` made of a stored string
 * (the admin left that URL as shown) is the stored string again, its secret included.
 */
export function keepSecrets<T>(submitted: T, stored: unknown): T {
  const known = new Map<string, string>();
  for (const s of strings(stored)) {
    const shown = hideInString(s);
    if (shown !== s) known.set(shown, s);
  }
  if (known.size === 0) return submitted;
  return map(submitted, (s) => known.get(s) ?? s) as T;
}
