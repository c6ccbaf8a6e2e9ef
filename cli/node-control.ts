// Shared by the commands that talk to a running node (status, peers, send, sos, inbox): the
// --data-dir and --json options, and the plain-text formatting they share.

import type { ParseArgsConfig } from 'node:util';
import { defaultDataDir } from '@unibos/firmware';
import { parseCommand } from './cli-args.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ControlArgs<V> {
  values: V & { 'data-dir'?: string; json?: boolean };
  positionals: string[];
  dataDir: string;
}

export const DATA_DIR_HELP = `  --data-dir DIR   the node's state folder (default $UNIBOS_DATA_DIR or ~/.unibos/node)
  --json           print the node's answer as JSON`;

export function parseControlArgs<V>(argv: string[], help: string, options: Options = {}, positionals = false): ControlArgs<V> | null {
  const parsed = parseCommand(argv, help, { ...options, 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, positionals);
  if (!parsed) return null;
  const values = parsed.values as ControlArgs<V>['values'];
  return { values, positionals: parsed.positionals, dataDir: values['data-dir'] ?? defaultDataDir() };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** "12 s ago", "3 min ago", "2 h ago". */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

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
