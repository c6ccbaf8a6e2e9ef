// Shared by the commands that talk to a running node (status, peers, send, sos, inbox): the
// --data-dir and --json options, and the plain-text formatting they share.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultDataDir } from '@unibos/firmware';
import { CliError } from './cli-error.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ControlArgs<V> {
  values: V & { 'data-dir'?: string; json?: boolean };
  positionals: string[];
  dataDir: string;
}

export const DATA_DIR_HELP = `  --data-dir DIR   the node's state folder (default $UNIBOS_DATA_DIR or ~/.unibos/node)
  --json           print the node's answer as JSON`;

export function parseControlArgs<V>(argv: string[], help: string, options: Options = {}, positionals = false): ControlArgs<V> | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: positionals,
      options: { ...options, 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${help}`);
  }
  if (parsed.values.help) {
    process.stdout.write(help);
    return null;
  }
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

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
