// Passwords and keys inside URLs that modules are configured with (a camera's
// rtsp://user:pass@..., a feed's ?token=...): one definition of what counts as secret, used by
// modules for their labels, logs and errors, and by the hub for the settings it shows browsers.

/**
 * Query parameters that carry a password or key: any name with one of these in it (Foscam's `pwd`
 * and `loginpas`, `passw`, `token`, `api_key`, ...); hiding a harmless one costs nothing.
 */
const SECRET_PARAM = /pass|pas$|pwd|secret|token|auth|key|credential/i;
export const HIDDEN_SECRET = '***';

/** A URL with its password replaced, in the user part or in the query. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = HIDDEN_SECRET;
    for (const k of [...u.searchParams.keys()]) if (SECRET_PARAM.test(k)) u.searchParams.set(k, HIDDEN_SECRET);
    return u.toString();
  } catch {
    return redactText(url);
  }
}

/** Text (a log line, a tool's error) with the credentials of any URL in it replaced. */
export function redactText(text: string): string {
  // The password runs to the last @ of the word: it may hold a / or an @ that the URL parser refused.
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):\S*@/gi, `$1:${HIDDEN_SECRET}@`)
    .replace(/([?&][^=&#\s]*(?:pass|pas(?==)|pwd|secret|token|auth|key|credential)[^=&#\s]*=)[^&#\s]*/gi, `$1${HIDDEN_SECRET}`);
}
