// The node's status as `unibos status`, `GET /status` and /metrics show it: one snapshot built from
// what each layer reports (router, radio, parts, outbox pump, SOS tracker, stores).

import { formatNodeId, type MeshRouter } from '@unibos/mesh-protocol';
import type { GpsFix } from '../gps/gps-source.ts';
import type { NodeConfig } from './node-config.ts';
import type { ModuleStatus } from './module-status.ts';
import type { OutboxDropReason } from './outbox.ts';
import type { Part } from './part-keeper.ts';
import type { SosStatus } from './sos.ts';

/** A piece of hardware and why it is not working, if it is not. */
export interface PartStatus {
  type: string;
  error: string | null;
}

export interface NodeStatus {
  nodeId: string;
  name: string;
  role: string;
  uptimeS: number;
  /** `warning`: what the radio works around and its owner should fix (an old modem firmware that may not hear the mesh's other radios). */
  radio: PartStatus & { state: string; warning: string | null; preset: string; frequencyHz: number; region: string };
  gps: PartStatus & { fix: GpsFix | null };
  gpio: PartStatus;
  mesh: {
    channel: string;
    hopLimit: number;
    channelUtilizationPercent: number;
    /** Airtime spent in the duty cycle's rolling window (an hour) and its budget, seconds; null where the region has none. */
    dutyCycle: { usedS: number; budgetS: number } | null;
    txBacklog: number;
    framesSent: number;
    framesReceived: number;
    delivered: number;
    relayed: number;
    drops: Record<string, number>;
  };
  /**
   * Own messages waiting (`queued`, at most `maxMessages` but for SOS messages). `dropped`: those
   * that left without being sent since the node started, by reason (every reason listed); none of
   * them counts as sent. `expired` is `dropped['gave-up']` (kept for older readers).
   * `refusedFull`: new messages refused (E_OUTBOX_FULL) because it was full.
   */
  outbox: OutboxStatus;
  sos: SosStatus;
  peers: number;
  /** Stored events (peer updates, received messages) that could not be written. */
  storageErrors: number;
  /** Modules configured on this node (module-loader.ts): loaded, or failed/unloaded with the reason. */
  modules: ModuleStatus[];
}

export interface OutboxStatus {
  queued: number;
  maxMessages: number;
  oldestAgeS: number | null;
  inFlight: number;
  expired: number;
  dropped: Record<OutboxDropReason, number>;
  refusedFull: number;
}

export interface StatusSources {
  nodeId: number;
  name: string;
  config: NodeConfig;
  nowMs: number;
  startedMs: number;
  router: MeshRouter;
  radioState: string;
  radioWarning: string | undefined;
  partError: (part: Part) => string | null;
  gpsFix: GpsFix | null;
  outbox: Omit<OutboxStatus, 'oldestAgeS' | 'dropped'> & { oldestMs: number | undefined; dropped: Readonly<Record<OutboxDropReason, number>> };
  sos: SosStatus;
  peers: number;
  storageErrors: number;
  modules: ModuleStatus[];
}

export function nodeStatus(src: StatusSources): NodeStatus {
  const { router, config: c, nowMs } = src;
  const s = router.stats;
  const duty = router.dutyCycleUse();
  const drops: Record<string, number> = {};
  for (const [reason, n] of s.drops) if (n > 0) drops[reason] = n;
  const oldest = src.outbox.oldestMs;
  return {
    nodeId: formatNodeId(src.nodeId),
    name: src.name,
    role: c.role,
    uptimeS: Math.round((nowMs - src.startedMs) / 1000),
    radio: { type: c.radio.type, state: src.radioState, warning: src.radioWarning ?? null, error: src.partError('radio'), preset: c.preset, frequencyHz: c.frequencyHz, region: c.region },
    gps: { type: c.gps.type, error: src.partError('gps'), fix: src.gpsFix },
    gpio: { type: c.gpio.type, error: src.partError('gpio') },
    mesh: {
      channel: c.channel.name,
      hopLimit: c.hopLimit,
      channelUtilizationPercent: Math.round(router.utilization.percent() * 10) / 10,
      dutyCycle: duty ? { usedS: Math.round(duty.usedMs / 100) / 10, budgetS: duty.budgetMs / 1000 } : null,
      txBacklog: router.txBacklog,
      framesSent: s.txFrames,
      framesReceived: s.rxFrames,
      delivered: s.delivered,
      relayed: s.relaysSent,
      drops,
    },
    outbox: {
      queued: src.outbox.queued,
      maxMessages: src.outbox.maxMessages,
      oldestAgeS: oldest === undefined ? null : Math.round((nowMs - oldest) / 1000),
      inFlight: src.outbox.inFlight,
      expired: src.outbox.expired,
      dropped: { ...src.outbox.dropped },
      refusedFull: src.outbox.refusedFull,
    },
    sos: src.sos,
    peers: src.peers,
    storageErrors: src.storageErrors,
    modules: src.modules,
  };
}
