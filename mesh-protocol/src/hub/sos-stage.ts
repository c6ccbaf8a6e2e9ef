// The stages of an SOS, one definition for the node, the gateway, the hub and the admin UI:
// sent < gateway (durably queued for the hub) < hub (stored by the hub) < acknowledged (an admin
// saw it) < resolved. Stages only move forward, so a late or repeated stage message is harmless.

import type { Routing, SosProgress, SosProgressStage } from '../frame/schema.ts';

export const SOS_STAGES = ['sent', 'gateway', 'hub', 'acknowledged', 'resolved'] as const;
export type SosStage = (typeof SOS_STAGES)[number];

/** Longest "by" (an admin's name or email) carried over the mesh, in characters: frames stay small. */
export const SOS_BY_MAX_CHARS = 24;

export function isSosStage(v: unknown): v is SosStage {
  return typeof v === 'string' && (SOS_STAGES as readonly string[]).includes(v);
}

/** Position in the order; -1 for "no stage yet". */
export function sosStageRank(stage: SosStage | null | undefined): number {
  return stage ? SOS_STAGES.indexOf(stage) : -1;
}

/** True when `next` is further along than `current` (the only change a stage may make). */
export function sosStageAdvances(current: SosStage | null | undefined, next: SosStage): boolean {
  return sosStageRank(next) > sosStageRank(current);
}

/** The later of two stages. */
export function laterSosStage(a: SosStage, b: SosStage): SosStage {
  return sosStageRank(b) > sosStageRank(a) ? b : a;
}

/** A name or email cut to what the mesh carries (by code points, so no character is split). */
export function shortSosBy(by: string): string {
  const chars = [...by.trim()];
  return chars.length <= SOS_BY_MAX_CHARS ? chars.join('') : `${chars.slice(0, SOS_BY_MAX_CHARS - 1).join('')}…`;
}

/** One stage as the node learns it: what, when (ms since the epoch; 0 = not given), and by whom. */
export interface SosStageReport {
  stage: SosStage;
  timeMs: number;
  by: string;
}

const TO_WIRE: Record<SosStage, SosProgressStage> = { sent: 'SENT', gateway: 'GATEWAY', hub: 'HUB', acknowledged: 'ACKNOWLEDGED', resolved: 'RESOLVED' };

/** The Routing body that answers an SOS with its stage (send it with `replyId` = the SOS's request id). */
export function sosStageRouting(report: SosStageReport): Routing {
  const sos: SosProgress = { stage: TO_WIRE[report.stage], time: report.timeMs > 0 ? Math.min(Math.floor(report.timeMs / 1000), 0xffff_ffff) : 0, by: shortSosBy(report.by) };
  return { error: 'NONE', sos };
}

/** The stage a decoded Routing answer carries, or null (a plain ack, or a stage this build does not know). */
export function sosStageOf(routing: Routing): SosStageReport | null {
  const p = routing.sos;
  if (!p || routing.error !== 'NONE') return null;
  const stage = (Object.keys(TO_WIRE) as SosStage[]).find((s) => TO_WIRE[s] === p.stage);
  if (!stage) return null;
  return { stage, timeMs: p.time * 1000, by: shortSosBy(p.by) };
}
