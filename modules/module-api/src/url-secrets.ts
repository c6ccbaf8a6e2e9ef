// Passwords and keys inside URLs that modules are configured with (a camera's
// rtsp://user:pass@..., an XMEye camera's /user=admin&password=...&channel=1, a feed's ?token=...):
// one definition of what counts as secret, used by modules for their labels, logs and errors, and
// by the hub for the settings it shows browsers.

export const HIDDEN_SECRET = '***';

/**
 * Names of `key=value` pairs known to carry no secret (a stream's channel, profile, size, codec);
 * every other pair's value is hidden. A list of the harmless, not of the secret: a camera's own
 * name for its password (`loginpas`, `pw`, `code`, `sid`, `u`/`p`) is hidden without being known.
 */
const HARMLESS_KEYS = new Set([
  'channel', 'channels', 'chn', 'ch', 'stream', 'streamtype', 'subtype', 'substream', 'profile', 'resolution', 'res',
  'width', 'height', 'fps', 'framerate', 'videocodec', 'codec', 'compression', 'quality', 'transportmode', 'transport',
  'unicast', 'camera', 'cam', 'cmd', 'action', 'mode', 'format', 'type', 'audio', 'video', 'bitrate',
]);
/** What a harmless pair's value may hold to be shown; one with anything else (`channel=1;pw=x`) is hidden whole. */
const PLAIN_VALUE = /^[a-z0-9._-]*$/i;

/**
 * A `key=value` pair after the address (in the path, as XMEye's /user=admin&password=..., or in the
 * query). A value runs to the next `&` or space, so a secret holding `/`, `;`, `?` or `=` is hidden
 * whole (the rest of a path after it may go with it: shown too little, never too much).
 */
const PAIR = /([/?&;#])([^/?&;#=\s]*)=([^&#\s]*)/g;
/** A password in a URL's user part. It runs to the last @ of the word: it may hold a / or an @ that a URL parser would refuse. */
const USER_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)(\S*)@/gi;
/** A web address's user part with no password: a token used as the user (`https://ghp_...@github.com/`). */
const WEB_USER_ONLY = /(https?:\/\/)([^\s:/@]+)@/gi;

/** A secret's place in the text, [start, end), and which it is: `:password` (the user part's) or a pair's key (`pw`, `pw#2` for its second). */
interface Span {
  start: number;
  end: number;
  slot: string;
}

/**
 * Where the secrets in `text` are. Each kind is looked for in the whole text and the spans joined
 * (the first one's slot names a joined one): a password in the user part holding `&x=` and a
 * query value holding `@` are each hidden whole, whichever way the text is read.
 */
function secretSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(USER_PASSWORD)) spans.push({ start: m.index + m[1]!.length, end: m.index + m[1]!.length + m[2]!.length, slot: ':password' });
  for (const m of text.matchAll(WEB_USER_ONLY)) spans.push({ start: m.index + m[1]!.length, end: m.index + m[1]!.length + m[2]!.length, slot: ':user' });
  const seen = new Map<string, number>();
  for (const m of text.matchAll(PAIR)) {
    const [, sep, key, value] = m as unknown as [string, string, string, string];
    if (value === '' || (HARMLESS_KEYS.has(key.toLowerCase()) && PLAIN_VALUE.test(value))) continue;
    const start = m.index + sep.length + key.length + 1;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    spans.push({ start, end: start + value.length, slot: n === 1 ? key : `${key}#${n}` });
  }
  spans.sort((a, b) => a.start - b.start);
  const joined: Span[] = [];
  for (const s of spans) {
    const last = joined[joined.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else joined.push({ ...s });
  }
  return joined;
}

/** Text (a log line, a tool's error, a URL) with every URL's password and the value of every pair not known harmless replaced. */
export function redactText(text: string): string {
  let out = '';
  let at = 0;
  for (const { start, end } of secretSpans(text)) {
    out += text.slice(at, start) + HIDDEN_SECRET;
    at = end;
  }
  return out + text.slice(at);
}

/**
 * A URL as shown (with `***`) and then edited, with each `***` given back the secret `stored` had in
 * the same place (the user part's password, or the pair of the same key): for a settings form that
 * was sent the URL as redactUrl shows it. Null when a `***` has no secret to take, or the result
 * is not the stored one's scheme, host, port and user as a URL parser reads them (an edit that only
 * looks like the same host, `rtsp://u:x@evil.example/@cam.local/...`, included), or either does not
 * parse: filled in, it would copy a secret to where it was not.
 */
export function restoreSecrets(edited: string, stored: string): string | null {
  if (!edited.includes(HIDDEN_SECRET)) return edited;
  const secrets = new Map(secretSpans(stored).map((s) => [s.slot, stored.slice(s.start, s.end)]));
  const parts: string[] = [];
  let at = 0;
  for (const s of secretSpans(edited)) {
    if (edited.slice(s.start, s.end) !== HIDDEN_SECRET) continue;
    const secret = secrets.get(s.slot);
    if (secret === undefined) return null;
    parts.push(edited.slice(at, s.start), secret);
    at = s.end;
  }
  parts.push(edited.slice(at));
  // A *** anywhere else (a host, a value typed around it) has nothing it could stand for.
  if (parts.some((p, i) => i % 2 === 0 && p.includes(HIDDEN_SECRET))) return null;
  const restored = parts.join('');
  const [to, from] = [parsed(restored), parsed(stored)];
  if (!to || !from || to.protocol !== from.protocol || to.hostname !== from.hostname || to.port !== from.port || to.username !== from.username) return null;
  return restored;
}

function parsed(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** A URL with its secrets replaced (as redactText): its password, and the value of each pair not known harmless. */
export function redactUrl(url: string): string {
  return redactText(url);
}

/**
 * Where a URL points and no more, for those who may see that a camera is there but not how it is
 * reached: `rtsp://192.168.1.20:554/…` (no user, path or query). What has no host (`/dev/video0`,
 * `file:/clip.mp4`, `synthetic:walker`) as redactText shows it.
 */
export function urlSite(url: string): string {
  const shown = redactText(url);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(shown)?.[0];
  if (!scheme) return shown;
  // The host as a URL parser (and so the camera's client) reads it from the address itself, not from
  // the shown text, where a hidden user part may have swallowed the real host.
  const u = parsed(url);
  if (!u?.host) return `${scheme}…`;
  return `${scheme}${u.host}${u.pathname.replace(/^\/$/, '') === '' && u.search === '' && u.hash === '' ? '' : '/…'}`;
}
