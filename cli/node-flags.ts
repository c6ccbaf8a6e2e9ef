// The device settings every long-running role takes (`unibos node`, `unibos gateway`): one flag
// per config key that has one, their help lines, the config they make, and a SIGTERM-aware run.

import { CONFIG_KEYS, loadNodeConfig, type NodeConfig } from '@unibos/firmware';
import type { Logger } from 'pino';
import type { Parsed } from './cli-args.ts';
import { say } from './cli-language.ts';

type FlagSpec = { type: 'int' | 'number'; min: number; max: number } | { type: 'string'; hint?: string } | { type: 'enum'; values: readonly string[] } | { type: 'list'; hint: string } | { type: 'object' };
type FlagDef = { flag?: string; env?: string; help: string; spec: FlagSpec; default: string | number | undefined };
const FLAGS = Object.values(CONFIG_KEYS as unknown as Record<string, FlagDef>).filter((d) => d.flag);

/** What a flag takes, as its help shows it: the allowed values or range, never a bare VALUE. */
function placeholder(d: FlagDef): string {
  const s = d.spec;
  if (s.type === 'enum') return s.values.length <= 5 ? s.values.join('|') : say('NAME');
  if (s.type === 'int') return 'N';
  if (s.type === 'number') return 'X';
  if (s.type === 'list') return say('NAME');
  return s.type === 'string' && s.hint ? s.hint.toUpperCase().replace(/[^A-Z:]+/g, '_') : d.flag === 'name' ? say('TEXT') : /path|dir/.test(d.flag ?? '') ? say('PATH') : say('TEXT');
}

function allowed(d: FlagDef): string {
  const s = d.spec;
  const parts: string[] = [];
  if (s.type === 'enum' && s.values.length > 5) parts.push(say('one of {values}', { values: s.values.join(', ') }));
  if (s.type === 'int' || s.type === 'number') parts.push(`${s.min}..${s.max}`);
  // Help that already says its default in words keeps it.
  if (d.default !== undefined && !/\(default/.test(d.help)) parts.push(say('default {value}', { value: d.default }));
  if (d.flag === 'data-dir') parts.push(say('default {value}', { value: '~/.unibos/node' }));
  else if (d.default === undefined && !/\(default/.test(d.help)) parts.push(say('default: none'));
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** The settings' help lines, but for the flags in `without` (a command that sets them itself). */
export function nodeFlagHelp(without: readonly string[] = []): string {
  return `${say('  --config PATH        JSON config file (default: none)')}
${FLAGS.filter((d) => !without.includes(d.flag!)).map((d) => {
  const head = `  --${d.flag} ${placeholder(d)}`;
  const text = `${say(d.help)}${allowed(d)}${d.env ? ` [${d.env}]` : ''}`;
  return head.length < 23 ? `${head.padEnd(23)}${text}` : `${head}\n${' '.repeat(23)}${text}`;
}).join('\n')}`;
}

export function nodeFlagOptions(): Record<string, { type: 'string'; multiple?: boolean }> {
  const options: Record<string, { type: 'string'; multiple?: boolean }> = { config: { type: 'string' } };
  // A list key (--module) is given once per value.
  for (const d of FLAGS) options[d.flag!] = d.spec.type === 'list' ? { type: 'string', multiple: true } : { type: 'string' };
  return options;
}

export function nodeConfigFromFlags(parsed: Parsed): NodeConfig {
  const flags: Record<string, string | undefined> = {};
  for (const d of FLAGS) {
    const v = parsed.values[d.flag!];
    if (typeof v === 'string') flags[d.flag!] = v;
    else if (Array.isArray(v)) flags[d.flag!] = v.join(',');
  }
  const file = parsed.values.config;
  return loadNodeConfig({ flags, ...(typeof file === 'string' ? { file } : {}) });
}

/** Resolves once SIGTERM or SIGINT has stopped `running` (or 5 s have passed: then exit 1). */
export function runUntilSignal(running: { stop(): Promise<void> }, logger: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      // A wedged driver must not keep a stopping service alive: systemd expects us gone in seconds.
      setTimeout(() => process.exit(1), 5000).unref();
      running.stop().then(resolve, (err) => {
        logger.error({ err }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
