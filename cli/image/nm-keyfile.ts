// Values written into a NetworkManager keyfile (.nmconnection) so that NetworkManager reads back
// exactly what was given: its reader is GLib's GKeyFile (backslash escapes, blanks trimmed at
// either end of a value), and for an SSID NetworkManager's own rules on top (nm-settings-keyfile(5)).

/** A string value: `\` and control characters escaped, and blanks at either end kept as `\s`. */
export function keyfileString(value: string): string {
  const escaped = value.replace(/[\\\n\t\r]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c]!);
  return escaped.replace(/^ +| +$/g, (blanks) => '\\s'.repeat(blanks.length));
}

/**
 * An SSID the way NetworkManager writes one: printable ASCII as a string with `;` escaped (so
 * `12;34;` is not read as a list of bytes), anything else as the list of its UTF-8 bytes.
 */
export function keyfileSsid(ssid: string): string {
  const bytes = Buffer.from(ssid, 'utf8');
  if (bytes.some((b) => b < 0x20 || b > 0x7e)) return `${[...bytes].join(';')};`;
  return keyfileString(ssid.replace(/;/g, '\\;'));
}
