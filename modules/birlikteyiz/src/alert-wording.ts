// The words birlikteyiz puts into the mesh (a quake's alert, the check-in question, an assembly
// point) in the language the module is set to (`language`: en, the default, or tr). Nodes show
// them as they came, so this is the one place they are worded; each fits its frame (160 bytes of
// UTF-8 for an alert, 200 for a text: a Turkish letter takes two), the feed's place name or the
// operator's title shortened at a character boundary so the time and the question go out whole.
// A time always says its zone in words ("04:17 UTC", "07:17 TSİ"): a bare "04:17Z" reads, in
// Türkiye, as a time three hours off.

import { MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES, cutChars, truncateUtf8 } from '@unibos/mesh-protocol';

export type AlertLanguage = 'en' | 'tr';
export const ALERT_LANGUAGES: readonly AlertLanguage[] = ['en', 'tr'];

/** A quake's place as a feed gave it in some of the languages (the demo's feed gives both); the others are worded from `place`. */
export type QuakePlaces = Partial<Record<AlertLanguage, string>>;

/** What a check-in round asks every node (a press of the button answers it). */
export const QUESTION: Record<AlertLanguage, string> = {
  en: 'Are you safe? Press once: safe. Hold: need help.',
  tr: 'Güvende misiniz? Bir kez basın: güvendeyim. Basılı tutun: yardım lazım.',
};

const bytes = (s: string): number => new TextEncoder().encode(s).length;

/**
 * An alert's text: `head` (what happened: a feed's place name, an operator's title, of any length
 * and script) shortened so that `tail` (when, and the question) always goes out whole within one
 * frame's alert text.
 */
export function alertText(head: string, tail: string): string {
  return truncateUtf8(head, MESH_ALERT_TEXT_MAX_BYTES - bytes(tail)) + tail;
}

export interface QuakeFacts {
  magnitude: number | null;
  /** As the feed wrote it (USGS: "12 km NW of Elbistan, Turkey"; AFAD, Kandilli: Turkish names). */
  place: string;
  /** The place as the feed gave it in a language, used as it is in that language's wording. */
  places?: QuakePlaces;
  timeMs: number;
}

/** USGS's "12 km NW of Elbistan, Turkey": the distance and compass direction from a named place. */
const USGS_RELATIVE = /^(\d+(?:\.\d+)?) km ([NSEW]{1,3}) of (.+)$/;
const COMPASS_TR: Record<string, string> = { N: 'K', S: 'G', E: 'D', W: 'B' };
/** No place on Earth is further than this from another (half the equator): a longer "distance" is no distance. */
const MAX_OFFSET_KM = 20_038;

/**
 * The place in Turkish where its feed wrote it in English: the named place first, then how far and
 * which way. The offset is short (" (12 km KB)", at most 15 bytes): a distance of any other shape
 * leaves the place as the feed wrote it, which the alert shortens like any name.
 */
function placeTr(place: string): { where: string; offset: string } {
  const m = USGS_RELATIVE.exec(place.trim());
  const km = m ? Number(m[1]) : NaN;
  const relative = m !== null && km <= MAX_OFFSET_KM;
  const where = (relative ? m[3]! : place).replace(/, Turkey$/, ', Türkiye');
  return { where, offset: relative ? ` (${Number.isInteger(km) ? km : km.toFixed(1)} km ${[...m[2]!].map((c) => COMPASS_TR[c]).join('')})` : '' };
}

/** A quake's place in Turkish: as its feed gave it in Turkish (whole, nothing to turn around), else worded from its place. */
function placeTrOf(q: QuakeFacts): { where: string; offset: string } {
  return q.places?.tr ? { where: q.places.tr, offset: '' } : placeTr(q.place);
}

/**
 * A feed's place name as the wording in `language` gives it: in Turkish the named place first,
 * then how far and which way ("Elbistan, Türkiye (12 km KB)"); as the feed wrote it in English.
 * Kept with a quake's check-in round, so the admin UI titles it in its viewer's language.
 */
export function quakePlace(place: string, language: AlertLanguage): string {
  if (language === 'en') return place;
  const { where, offset } = placeTr(place);
  return `${where}${offset}`;
}

/**
 * A feed's place name in every language the module words alerts in, for the admin UI to show in its
 * viewer's: as the feed gave it in that language (`given`, e.g. the demo's feed), else worded from `place`.
 */
export function quakePlaces(place: string, given?: QuakePlaces): Record<AlertLanguage, string> {
  return Object.fromEntries(ALERT_LANGUAGES.map((l) => [l, given?.[l] ?? quakePlace(place, l)])) as Record<AlertLanguage, string>;
}

export interface Wording {
  question: string;
  /** A quake's alert text; `ask` adds the check-in question (a round was opened for it). */
  quake(q: QuakeFacts, ask: boolean): string;
  /** The title of the check-in round a quake opens, as the hub lists it (at most 120 characters). */
  quakeTitle(q: QuakeFacts): string;
  /** An updated alert: the quake's magnitude was revised up from `from` (what the mesh was told); `ask` (default) adds the question. */
  quakeRevised(q: QuakeFacts, from: number, ask?: boolean): string;
  /** A round opened by hand: the operator's title and the question. */
  manualRound(title: string): string;
  /** An assembly point as one text (200 bytes): its name shortened, where it is kept whole. */
  assemblyPoint(p: { name: string; latitude: number; longitude: number; capacity: number | null }): string;
}

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
/** English alerts: the module knows no zone of its own, so the time says it is UTC in words. */
const hhmmEn = (ms: number): string => `${hhmm(ms)} UTC`;
/**
 * Turkish alerts give the time as people in Türkiye read their clocks: TSİ (Türkiye Saati) is
 * UTC+3 all year since 2016, so no time-zone data is needed on the hub.
 */
const TSI_OFFSET_MS = 3 * 60 * 60 * 1000;
const hhmmTr = (ms: number): string => `${hhmm(ms + TSI_OFFSET_MS)} TSİ`;
const title120 = (s: string): string => cutChars(s, 120);

const EN: Wording = {
  question: QUESTION.en,
  quake: (q, ask) => alertText(`${magnitude(q)} ${q.places?.en ?? q.place}`, ` ${hhmmEn(q.timeMs)}${ask ? `. ${QUESTION.en}` : ''}`),
  quakeTitle: (q) => title120(`${magnitude(q)} ${q.places?.en ?? q.place}`),
  // "M6.1 (revised from M4.2) 12 km NW of Elbistan, Turkey 01:17 UTC. Are you safe? ..."
  quakeRevised: (q, from, ask = true) => alertText(`${magnitude(q)} (revised from M${from.toFixed(1)}) ${q.places?.en ?? q.place}`, ` ${hhmmEn(q.timeMs)}${ask ? `. ${QUESTION.en}` : ''}`),
  manualRound: (title) => alertText(title, `. ${QUESTION.en}`),
  assemblyPoint: (p) => textWithName('Assembly point: ', p.name, ` at ${p.latitude.toFixed(5)},${p.longitude.toFixed(5)}${p.capacity ? `, room for ${p.capacity}` : ''}`),
};

const TR: Wording = {
  question: QUESTION.tr,
  // "M5.2 deprem: Elbistan, Türkiye (12 km KB) 04:17 TSİ. Güvende misiniz? ..." — the place is what gets shortened.
  quake: (q, ask) => {
    const { where, offset } = placeTrOf(q);
    return alertText(`${q.magnitude !== null ? `M${q.magnitude.toFixed(1)} deprem` : 'Deprem'}: ${where}`, `${offset} ${hhmmTr(q.timeMs)}${ask ? `. ${QUESTION.tr}` : ''}`);
  },
  quakeTitle: (q) => {
    const { where, offset } = placeTrOf(q);
    return title120(`${q.magnitude !== null ? `M${q.magnitude.toFixed(1)} deprem` : 'Deprem'}: ${where}${offset}`);
  },
  // "M6.1 deprem (M4.2 değil): Elbistan, Türkiye (12 km KB) 04:17 TSİ. Güvende misiniz? ..." — short: the place must still fit.
  quakeRevised: (q, from, ask = true) => {
    const { where, offset } = placeTrOf(q);
    return alertText(`${q.magnitude !== null ? `M${q.magnitude.toFixed(1)} deprem` : 'Deprem'} (M${from.toFixed(1)} değil): ${where}`, `${offset} ${hhmmTr(q.timeMs)}${ask ? `. ${QUESTION.tr}` : ''}`);
  },
  manualRound: (title) => alertText(title, `. ${QUESTION.tr}`),
  assemblyPoint: (p) => textWithName('Toplanma alanı: ', p.name, `, konum ${p.latitude.toFixed(5)},${p.longitude.toFixed(5)}${p.capacity ? `, ${p.capacity} kişilik` : ''}`),
};

function magnitude(q: QuakeFacts): string {
  return q.magnitude !== null ? `M${q.magnitude.toFixed(1)}` : 'Quake';
}

function textWithName(head: string, name: string, tail: string): string {
  return head + truncateUtf8(name, MESH_TEXT_MAX_BYTES - bytes(head) - bytes(tail)) + tail;
}

/** The wording for the module's `language` setting (English for anything else, as before the setting). */
export function wording(language: unknown): Wording {
  return language === 'tr' ? TR : EN;
}
