// Command-line parsing shared by every subcommand: --help, unknown flags as one clear line, and
// checked numbers and choices that name the flag when a value is wrong.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error.ts';
import { say, sayMessage } from './cli-language.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `argv`; prints `help` and returns null for --help. */
export function parseCommand(argv: string[], help: string, options: Options, allowPositionals = false): Parsed | null {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals, strict: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new CliError(`${sayMessage((err as Error).message)}\n\n${help}`);
  }
  if (parsed.values.help) {
    process.stdout.write(help);
    return null;
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
}

export function integer(flag: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  const v = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(v >= min && v <= max)) throw new CliError(say("{flag} must be a whole number from {min} to {max}, got '{value}'", { flag, min, max, value: raw }));
  return v;
}

export function number(flag: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(v >= min && v <= max)) throw new CliError(say("{flag} must be a number from {min} to {max}, got '{value}'", { flag, min, max, value: raw }));
  return v;
}

export function oneOf(flag: string, raw: string | undefined, allowed: readonly string[], dflt: string): string {
  if (raw === undefined) return dflt;
  if (!allowed.includes(raw)) throw new CliError(say("{flag} must be one of {allowed}, got '{value}'", { flag, allowed: allowed.join(', '), value: raw }));
  return raw;
}
