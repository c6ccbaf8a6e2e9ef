// One line that says how far the node's SOS has got, the same words for `unibos status` and the
// node's log: e.g. "acknowledged by Ayse at 14:02 (hub 14:01, gateway 14:01)", or after "I am
// safe": "safe sent at 14:10, waiting for the hub; ..." until the hub's `resolved` arrives.

import { sosStageRank, type SosStage } from '@unibos/mesh-protocol';
import type { SosStatus } from './sos.ts';

const WORDS: Record<SosStage, string> = {
  sent: 'sent, waiting for a gateway',
  gateway: 'taken by a gateway',
  hub: 'received by the hub',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
};

/** Earlier stages listed after the headline, newest first. */
const EARLIER: readonly SosStage[] = ['acknowledged', 'hub', 'gateway'];

/** `clock` formats a time of day (default: HH:MM local time). */
export function sosSummary(s: SosStatus, clock: (ms: number) => string = hhmm): string {
  const current = s.stage;
  if (current === 'none') return 'none';
  const at = (stage: SosStage): string => {
    const t = s.stageTimes[stage];
    return t === undefined ? '' : ` at ${clock(t)}`;
  };
  const by = current === 'acknowledged' ? s.acknowledgedBy : current === 'resolved' ? s.resolvedBy : undefined;
  // No copy on air yet (the radio is down): it was raised, not sent. A cancelled SOS waits for
  // nothing: only "I am safe" is still on its way.
  const onAir = s.copiesSent > 0;
  let line: string;
  if (current === 'sent' && !onAir) line = `${s.cancelled ? 'SOS raised' : 'raised'}${at(current)}, not on air yet`;
  else line = `${current === 'sent' && s.cancelled ? 'SOS sent' : WORDS[current]}${by ? ` by ${by}` : ''}${at(current)}`;
  const earlier = EARLIER.filter((stage) => stage !== current && s.stageTimes[stage] !== undefined && sosStageRank(stage) < sosStageRank(current)).map((stage) => `${stage} ${clock(s.stageTimes[stage]!)}`);
  if (earlier.length > 0) line += ` (${earlier.join(', ')})`;
  const safeAt = s.cancelledMs !== undefined ? ` at ${clock(s.cancelledMs)}` : '';
  if (s.cancelled && s.safe === 'waiting') line = s.safeCopiesSent > 0 ? `safe sent${safeAt}, waiting for the hub; ${line}` : `safe${safeAt}, not on air yet; ${line}`;
  else if (s.cancelled && s.safe === 'gave-up') line = `safe sent${safeAt}, gave up: ${s.safeGaveUpReason ?? 'no answer from the hub'}; ${line}`;
  else if (s.cancelled && s.safe === 'confirmed') line = `${line}; safe${safeAt}`;
  else if (s.cancelled) line = `cancelled ("I am safe")${safeAt}; ${line}`;
  const safeCopies = s.safeCopiesSent > 0 ? `, ${s.safeCopiesSent} of "I am safe"` : '';
  // Nothing on air at all: the line has said so already.
  if (!onAir && !safeCopies) return line;
  return `${line}; ${s.copiesSent} ${s.copiesSent === 1 ? 'copy' : 'copies'} sent${safeCopies}`;
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
