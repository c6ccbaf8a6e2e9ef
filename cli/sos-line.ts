// How far the node's SOS got, as `unibos status` and `unibos sos` say it, in the CLI's language:
// the node's own line (firmware's sosSummary, for its log) built again from whole-sentence
// templates, so "acknowledged by Ayse at 14:02 (hub 14:01, gateway 14:01)" reads as well in Turkish.

import type { SosStatus } from '@unibos/firmware';
import { say, type CliLang, cliLang } from './cli-language.ts';

type Stage = Exclude<SosStatus['stage'], 'none'>;

function headline(stage: Stage, cancelled: boolean, lang: CliLang): string {
  switch (stage) {
    case 'sent':
      // A cancelled SOS waits for nothing: only "I am safe" is still on its way.
      return cancelled ? say('SOS sent', {}, lang) : say('sent, waiting for a gateway', {}, lang);
    case 'gateway':
      return say('taken by a gateway', {}, lang);
    case 'hub':
      return say('received by the hub', {}, lang);
    case 'acknowledged':
      return say('acknowledged', {}, lang);
    case 'resolved':
      return say('resolved', {}, lang);
  }
}

/** An earlier stage after the headline: "hub 14:01". */
function earlier(stage: 'acknowledged' | 'hub' | 'gateway', time: string, lang: CliLang): string {
  const when = at(time, lang);
  if (stage === 'acknowledged') return say('acknowledged {time}', { time: when }, lang);
  if (stage === 'hub') return say('hub {time}', { time: when }, lang);
  return say('gateway {time}', { time: when }, lang);
}

// Turkish puts "at 14:02" before the verb with the locative suffix, which follows the last number
// as it is read aloud ("14:02" -> "iki" -> 14:02'de; "14:30" -> "otuz" -> 14:30'da).
const UNIT_SUFFIX = ['da', 'de', 'de', 'te', 'te', 'te', 'da', 'de', 'de', 'da'] as const; // sıfır, bir, iki, üç, dört, beş, altı, yedi, sekiz, dokuz
const TEN_SUFFIX = ['da', 'da', 'de', 'da', 'ta', 'de'] as const; // -, on, yirmi, otuz, kırk, elli

function locative(time: string): string {
  const m = /^(\d{1,2})[:.](\d{2})$/.exec(time);
  if (!m) return time;
  // "14:00" is read "on dört": the hour decides.
  const n = Number(m[2]) === 0 ? Number(m[1]) : Number(m[2]);
  const suffix = n % 10 !== 0 || n === 0 ? UNIT_SUFFIX[n % 10]! : TEN_SUFFIX[n / 10]!;
  return `${time}’${suffix}`;
}

/** A time where the sentence says "at": in Turkish, with its suffix. */
function at(time: string, lang: CliLang): string {
  return lang === 'tr' ? locative(time) : time;
}

const RANK: Record<Stage, number> = { sent: 0, gateway: 1, hub: 2, acknowledged: 3, resolved: 4 };

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export function sosLine(s: SosStatus, lang: CliLang = cliLang(), clock: (ms: number) => string = hhmm): string {
  const current = s.stage;
  if (current === 'none') return say('none', {}, lang);
  const stage = headline(current, s.cancelled, lang);
  const t = s.stageTimes[current];
  const by = current === 'acknowledged' ? s.acknowledgedBy : current === 'resolved' ? s.resolvedBy : undefined;
  // No copy on air yet (the radio is down): it was raised, not sent.
  const onAir = s.copiesSent > 0;
  const raised = s.cancelled ? say('SOS raised', {}, lang) : say('raised', {}, lang);
  let line =
    current === 'sent' && !onAir
      ? t !== undefined
        ? say('{stage} at {time}, not on air yet', { stage: raised, time: at(clock(t), lang) }, lang)
        : say('{stage}, not on air yet', { stage: raised }, lang)
      : by && t !== undefined
      ? say('{stage} by {name} at {time}', { stage, name: by, time: at(clock(t), lang) }, lang)
      : by
        ? say('{stage} by {name}', { stage, name: by }, lang)
        : t !== undefined
          ? say('{stage} at {time}', { stage, time: at(clock(t), lang) }, lang)
          : stage;
  const before = (['acknowledged', 'hub', 'gateway'] as const).filter((x) => x !== current && s.stageTimes[x] !== undefined && RANK[x] < RANK[current]);
  if (before.length > 0) line = say('{line} ({earlier})', { line, earlier: before.map((x) => earlier(x, clock(s.stageTimes[x]!), lang)).join(', ') }, lang);
  const safeAt = s.cancelledMs !== undefined ? clock(s.cancelledMs) : null;
  if (s.cancelled && s.safe === 'waiting' && s.safeCopiesSent === 0) line = safeAt ? say('safe at {time}, not on air yet; {line}', { time: safeAt, line }, lang) : say('safe, not on air yet; {line}', { line }, lang);
  else if (s.cancelled && s.safe === 'waiting') line = safeAt ? say('safe sent at {time}, waiting for the hub; {line}', { time: safeAt, line }, lang) : say('safe sent, waiting for the hub; {line}', { line }, lang);
  else if (s.cancelled && s.safe === 'gave-up') {
    const reason = s.safeGaveUpReason ?? say('no answer from the hub', {}, lang);
    line = safeAt ? say('safe sent at {time}, gave up: {reason}; {line}', { time: safeAt, reason, line }, lang) : say('safe sent, gave up: {reason}; {line}', { reason, line }, lang);
  } else if (s.cancelled && s.safe === 'confirmed') line = safeAt ? say('{line}; safe at {time}', { line, time: safeAt }, lang) : say('{line}; safe', { line }, lang);
  else if (s.cancelled) line = safeAt ? say('cancelled ("I am safe") at {time}; {line}', { time: safeAt, line }, lang) : say('cancelled ("I am safe"); {line}', { line }, lang);
  const count = s.copiesSent;
  // Nothing on air at all: the line has said so already.
  if (!onAir && s.safeCopiesSent === 0) return line;
  if (s.safeCopiesSent > 0) {
    return count === 1
      ? say('{line}; {count} copy sent, {safe} of "I am safe"', { line, count, safe: s.safeCopiesSent }, lang)
      : say('{line}; {count} copies sent, {safe} of "I am safe"', { line, count, safe: s.safeCopiesSent }, lang);
  }
  return count === 1 ? say('{line}; {count} copy sent', { line, count }, lang) : say('{line}; {count} copies sent', { line, count }, lang);
}
