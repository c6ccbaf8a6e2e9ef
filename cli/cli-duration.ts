// A length of time as a person reads it ("9 min", "2 h 5 min", "3 days"), in the CLI's language:
// `unibos status` says how long the node has been up this way rather than in raw seconds.

import { type CliLang, cliLang, say } from './cli-language.ts';

/** `seconds` rounded down to the two largest units that matter (a week and more: days only). */
export function duration(seconds: number, lang: CliLang = cliLang()): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return say('{seconds} s', { seconds: s }, lang);
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return say('{minutes} min', { minutes }, lang);
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? say('{hours} h', { hours }, lang) : say('{hours} h {minutes} min', { hours, minutes: minutes % 60 }, lang);
  const days = Math.floor(hours / 24);
  if (days >= 7 || hours % 24 === 0) return days === 1 ? say('{days} day', { days }, lang) : say('{days} days', { days }, lang);
  return days === 1 ? say('{days} day {hours} h', { days, hours: hours % 24 }, lang) : say('{days} days {hours} h', { days, hours: hours % 24 }, lang);
}
