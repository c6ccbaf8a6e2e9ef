// Text from elsewhere (the mesh, a node's answer) made safe to print on a terminal.

// Terminal escape sequences (CSI such as colours and cursor moves, OSC such as window titles and
// hyperlinks, DCS/PM/APC strings, and short ESC x forms), in their 7-bit and 8-bit (C1) spellings.
const ESCAPE_SEQUENCE = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[ -/]*[0-~]?/g;
const WHITESPACE_CONTROL = /[\t\n\v\f\r]/g;
// C0, DEL, C1, and the bidirectional overrides that make a table row read differently than it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that came over the mesh (messages, peer names), made safe to print on a terminal: anyone
 * on the channel could otherwise move the cursor, rewrite earlier lines or retitle the window.
 */
export function plain(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(WHITESPACE_CONTROL, ' ').replace(CONTROL, '');
}

/** Columns of plain text; every cell is passed through plain(), since most hold remote text. */
export function table(header: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map(plain));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
