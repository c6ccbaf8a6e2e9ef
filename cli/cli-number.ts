// Numbers as the CLI's language writes them: Turkish puts a comma before the decimals (%7,9, 5,0 dB,
// 41,01000), English a point. --json output never comes here: it stays machine-readable.

import { type CliLang, cliLang } from './cli-language.ts';

/** `n` with `digits` decimals (or as JavaScript writes it, when not given) in the CLI's language. */
export function decimal(n: number, digits?: number, lang: CliLang = cliLang()): string {
  const text = digits === undefined ? String(n) : n.toFixed(digits);
  return lang === 'tr' ? text.replace('.', ',') : text;
}
