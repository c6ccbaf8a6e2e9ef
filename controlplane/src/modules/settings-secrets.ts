// Passwords inside module settings (a camera's rtsp://user:pass@..., a feed's ?token=..., a
// setting of its own such as `apiKey`) never go to the browser, not even to the hub's admins: the
// settings are shown with them replaced by ***, and settings saved back with *** where a stored
// value had its secret get that secret again. A secret inside a URL is module-api's (redactUrl), as
// in the modules' own labels and errors; a whole setting is a secret when the module's schema says
// so (JSON Schema's `writeOnly`, or `format: "password"`) or its name does (password, secret,
// token, apiKey, ...), at any depth.
//
// A secret is only ever put back where it was stored (the same setting, an array item by its `id`
// or `name`): a *** typed into another field (a camera's name, which viewers see) or sent to
// another address is refused, never filled in, so an admin's browser cannot copy a stored secret
// out to where it can be read.

import { HIDDEN_SECRET, redactUrl, restoreSecrets } from '@unibos/module-api';
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

/** Where a string sits. */
interface Place {
  /** The path from the settings' root (JSON of its steps): an array item by its `id` or `name`, else by its index and the array's length. */
  path: string;
  /** The object holding it, and that object's path. */
  parentPath: string;
  parent: Record<string, unknown> | null;
  /** A secret as a whole (declared, or named so). */
  secret: boolean;
}

/** A setting's name in words: camelCase, snake_case, kebab-case. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const SECRET_LAST_WORDS = new Set(['password', 'passwords', 'passwd', 'passphrase', 'passcode', 'pass', 'pwd', 'psk', 'secret', 'secrets', 'token', 'tokens', 'credential', 'credentials', 'apikey', 'apikeys']);
const SECRET_KEY_KINDS = new Set(['api', 'private', 'access', 'secret', 'auth']);

/** Named as a secret by its last word ("userPassword", "api_key", "accessTokens"; not "tokenUrl" or "passMode"). */
function secretName(key: string): boolean {
  const w = words(key);
  const last = w[w.length - 1] ?? '';
  return SECRET_LAST_WORDS.has(last) || ((last === 'key' || last === 'keys') && SECRET_KEY_KINDS.has(w[w.length - 2] ?? ''));
}

/** Names of settings that say where something is sent: a secret beside one is kept only while it is unchanged. */
const DESTINATION_WORDS = new Set(['url', 'urls', 'uri', 'host', 'hostname', 'endpoint', 'server', 'address', 'domain', 'source']);

function map(value: unknown, f: (s: string, at: Place) => string, schema: Schema = undefined, steps: string[] = [], secret = false, parent: Record<string, unknown> | null = null): unknown {
  if (typeof value === 'string') return f(value, { path: JSON.stringify(steps), parentPath: JSON.stringify(steps.slice(0, -1)), parent, secret });
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      const item = v as { id?: unknown; name?: unknown } | null;
      const step = typeof item?.id === 'string' ? `#${item.id}` : typeof item?.name === 'string' ? `@${item.name}` : `${i}/${value.length}`;
      return map(v, f, schema?.items, [...steps, step], secret, null);
    });
  }
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(object).map(([k, v]) => {
        const own = schema?.properties?.[k];
        return [k, map(v, f, own, [...steps, `.${k}`], secret || own?.writeOnly === true || own?.format === 'password' || secretName(k), object)];
      }),
    );
  }
  return value;
}

function hide(text: string, at: Place): string {
  return at.secret && text !== '' ? HIDDEN_SECRET : hideInString(text);
}

/** The settings as the browser may see them. `schema`: the module's settings schema. */
export function hideSecrets<T>(settings: T, schema?: unknown): T {
  return map(settings, hide, schema as Schema) as T;
}

/** Where an object's settings send things: its URL-valued strings and those named like an address. */
function destinations(object: Record<string, unknown> | null): string {
  if (!object) return '';
  const out = Object.entries(object).filter(([k, v]) => typeof v === 'string' && (URL_LIKE.test(v) || DESTINATION_WORDS.has(words(k).pop() ?? '')));
  return JSON.stringify(out.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Settings from the browser, with the secrets the browser was shown as *** put back, each only
 * where it was stored: a string left as shown is the stored string again; a URL edited around its
 * *** (a camera moved to another path or port) takes the secret of the URL stored there if that
 * had the same user at the same host; a secret setting left *** keeps its value while the addresses
 * beside it are unchanged. Any other *** is refused (400): saved, it would be the password; filled
 * in, it would copy a secret somewhere else.
 */
export function keepSecrets<T>(submitted: T, stored: unknown, schema?: unknown): T {
  const storedAt = new Map<string, string>();
  const storedParents = new Map<string, Record<string, unknown> | null>();
  map(stored, (s, at) => (storedAt.set(at.path, s), storedParents.set(at.parentPath, at.parent), s), schema as Schema);
  const where = (at: Place): string =>
    JSON.parse(at.path)
      .map((step: string) => (step.startsWith('.') ? step : `[${step}]`))
      .join('')
      .slice(1);
  return map(submitted, (s, at) => {
    const before = storedAt.get(at.path);
    if (at.secret && s === HIDDEN_SECRET) {
      if (before === undefined || before === '') throw new HubError('E_BAD_REQUEST', `${where(at)} is shown as ${HIDDEN_SECRET} but no value is stored there: type it again`);
      if (destinations(at.parent) !== destinations(storedParents.get(at.parentPath) ?? null)) {
        throw new HubError('E_BAD_REQUEST', `${where(at)} is shown as ${HIDDEN_SECRET} but the address beside it changed: type it again`);
      }
      return before;
    }
    if (before !== undefined && s === hide(before, at)) return before;
    if (!s.includes(HIDDEN_SECRET) || !URL_LIKE.test(s)) return s;
    // Each *** of an address edited around it takes back the secret stored in the same place (the
    // password, or the pair of the same key, in the path too), from the same user at the same host.
    const restored = before === undefined ? null : restoreSecrets(s, before);
    if (restored === null) throw new HubError('E_BAD_REQUEST', `${redactUrl(s)} has a password shown as ${HIDDEN_SECRET} that belongs to no address of that user and host stored in ${where(at)}: type the password again`);
    return restored;
  }, schema as Schema) as T;
}

