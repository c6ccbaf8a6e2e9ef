// A position as the CLI's language writes it. Turkish writes decimals with a comma, so "46,53228,
// 6,65188" would hide which comma separates the two numbers: it takes degrees and hemisphere
// letters instead, as the admin UI does ("46,53228°K 6,65188°D"). English stays "46.53228, 6.65188".

import { type CliLang, cliLang } from './cli-language.ts';
import { decimal } from './cli-number.ts';

/** Latitude and longitude with `digits` decimals (5 is about a metre). */
export function position(latitude: number, longitude: number, lang: CliLang = cliLang(), digits = 5): string {
  if (lang !== 'tr') return `${decimal(latitude, digits, lang)}, ${decimal(longitude, digits, lang)}`;
  // Kuzey/Güney, Doğu/Batı.
  const lat = `${decimal(Math.abs(latitude), digits, lang)}°${latitude < 0 ? 'G' : 'K'}`;
  const lon = `${decimal(Math.abs(longitude), digits, lang)}°${longitude < 0 ? 'B' : 'D'}`;
  return `${lat} ${lon}`;
}
