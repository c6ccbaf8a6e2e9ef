// Kandilli / KOERI (www.koeri.boun.edu.tr/scripts/lst0.asp): an HTML page in a legacy Turkish
// encoding (windows-1254, a superset of ISO-8859-9 in the printable range) whose <pre> block lists
// one event per fixed-width line:
//   2023.02.06 01:17:32  37.1757   37.0560        8.6      -.-  7.4  7.7   SOFALACI-SEHITKAMIL (GAZIANTEP)   İlksel
// date and time are Turkey time (UTC+3, no daylight saving since 2016); MD, ML, Mw are `-.-` when
// missing; the preferred magnitude is Mw, then ML, then MD. The page is read by linear scans
// (indexOf), never a regex that backtracks over it: a broken or hostile page costs time in
// proportion to its size, and one over MAX_KANDILLI_BYTES is refused.

import { plausibleQuake, utcFromParts, type ParsedFeed, type Quake } from './quake.ts';

const LINE = /^(\d{4})\.(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(\d+\.\d+)\s+(-\.-|\d+\.\d+)\s+(-\.-|\d+\.\d+)\s+(-\.-|\d+\.\d+)\s+(.*)$/;
const TURKEY_OFFSET_MS = 3 * 3600_000;

/** lst0.asp is about 100 KB (500 lines); twenty times that is no event list. */
export const MAX_KANDILLI_BYTES = 2 * 1024 * 1024;

export function decodeKandilli(body: Uint8Array | string): string {
  if (typeof body === 'string') return body;
  // A page already in UTF-8 (a proxy re-encoded it) is read as such; otherwise windows-1254.
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return new TextDecoder('windows-1254').decode(body);
  }
}

export function parseKandilliFeed(body: Uint8Array | string): ParsedFeed {
  if (body.length > MAX_KANDILLI_BYTES) throw new Error(`a KOERI page is at most ${MAX_KANDILLI_BYTES} bytes; this one has ${body.length}`);
  const page = decodeKandilli(body);
  const pre = preBlock(page);
  const quakes: Quake[] = [];
  let rejected = 0;
  let sawHeader = false;
  for (const raw of pre.split(/\r?\n/)) {
    const line = stripTags(raw).trimEnd();
    if (/^\d{4}\.\d\d\.\d\d /.test(line)) {
      const m = LINE.exec(line);
      const q = m ? toQuake(m) : null;
      if (q) quakes.push(q);
      else rejected++;
    } else if (/Tarih\s+Saat/i.test(line)) sawHeader = true;
  }
  if (!sawHeader && quakes.length === 0) throw new Error('not a KOERI event list');
  return { quakes, rejected };
}

/**
 * What the first <pre ...> ... </pre> holds, or the whole page when there is none (the same as
 * /<pre[^>]*>([\s\S]*?)<\/pre>/i, which retried from every "<pre" of a page without "</pre>").
 */
export function preBlock(page: string): string {
  const open = /<pre/i.exec(page);
  if (!open) return page;
  const gt = page.indexOf('>', open.index + 4);
  if (gt < 0) return page;
  const close = /<\/pre>/gi;
  close.lastIndex = gt + 1;
  const end = close.exec(page);
  return end ? page.slice(gt + 1, end.index) : page;
}

/**
 * The line without its tags (each "<" up to the next ">"; a "<" with no ">" after it stays), the
 * same as .replace(/<[^>]*>/g, '') but one pass: the regex rescanned to the line's end from every "<".
 */
export function stripTags(line: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const lt = line.indexOf('<', from);
    if (lt < 0) break;
    const gt = line.indexOf('>', lt + 1);
    if (gt < 0) break; // no later "<" has a ">" after it either
    out += line.slice(from, lt);
    from = gt + 1;
  }
  return from === 0 ? line : out + line.slice(from);
}

function toQuake(m: RegExpExecArray): Quake | null {
  const mag = (s: string): number | null => (s === '-.-' ? null : Number(s));
  const [md, ml, mw] = [mag(m[10]!), mag(m[11]!), mag(m[12]!)];
  const magnitude = mw ?? ml ?? md;
  const magnitudeType = mw !== null ? 'Mw' : ml !== null ? 'ML' : md !== null ? 'MD' : null;
  // The place runs until the two-space gap before the solution quality (İlksel / REVIZE...).
  const rest = m[13]!.trim();
  const place = rest.split(/\s{2,}/)[0] ?? rest;
  const timeMs = utcFromParts(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - TURKEY_OFFSET_MS;
  return plausibleQuake({
    source: 'kandilli',
    // KOERI has no event id: its own time and place are what it keys a line by.
    sourceId: `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}-${m[7]}-${m[8]}`,
    timeMs,
    latitude: Number(m[7]),
    longitude: Number(m[8]),
    depthKm: Number(m[9]),
    magnitude,
    magnitudeType,
    place,
  });
}
