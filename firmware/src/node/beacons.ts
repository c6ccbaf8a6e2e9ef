// What the node tells the mesh about itself without being asked: who it is (NodeInfo, at start and
// when the radio returns, then periodically), where it is (position beacons), its neighbours and
// its health (telemetry); and its NodeInfo again to a node that just started and asks who is around.

import type { Logger } from 'pino';
import { BROADCAST, formatNodeId, type Data, type MeshRouter, type Position, type Random, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import type { GpsSource } from '../gps/gps-source.ts';
import type { NodeConfig } from './node-config.ts';
import { PositionBeacon } from './position-beacon.ts';
import type { DeviceHealth } from './telemetry-reader.ts';

/** Answer another node's request for our NodeInfo at most this often per requester. */
const NODEINFO_REPLY_INTERVAL_MS = 10 * 60_000;
/** A request addressed to us (a gateway asking for the hub, which heard us without a name) is answered more readily. */
const DIRECT_NODEINFO_REPLY_INTERVAL_MS = 30_000;
/** The announcement goes out at a random moment within this long after the radio is ready. */
const ANNOUNCE_SPREAD_MS = 10_000;
/** Announce ourselves again when the radio comes back, at most this often. */
const ANNOUNCE_MIN_INTERVAL_MS = 10 * 60_000;

export interface BeaconsOptions {
  nodeId: number;
  name: string;
  publicKey: Uint8Array;
  config: Pick<NodeConfig, 'role' | 'beacons'>;
  router: MeshRouter;
  scheduler: Scheduler;
  random: Random;
  /** Wall-clock time, for the time in a position; pacing uses the scheduler's steady clock. */
  clock: () => number;
  gps: GpsSource | undefined;
  health: () => DeviceHealth;
  /** Seconds since the node started, for telemetry. */
  uptimeS: () => number;
  /** False while the node is stopped or its radio cannot send. */
  canSend: () => boolean;
  stopped: () => boolean;
  log: Pick<Logger, 'error'>;
  /** Our telemetry, just handed to the router (sent when the channel allows): a gateway reports its own to the hub. */
  onTelemetry?: (q: { to: number; data: Data; packetId: number }) => void;
}

export class Beacons {
  private readonly position: PositionBeacon;
  private readonly nodeInfoReplies = new Map<number, number>();
  private lastAnnounceMs = -Infinity;
  private positionCheckPending = false;
  private positionTimerOn = false;
  private positionTimer: TimerHandle | undefined;

  constructor(private readonly options: BeaconsOptions) {
    const b = options.config.beacons;
    this.position = new PositionBeacon({ intervalS: b.positionIntervalS, minMoveM: b.positionMinMoveM, precisionBits: b.positionPrecisionBits });
  }

  /** Arms the periodic beacons. */
  start(): void {
    const { router } = this.options;
    const b = this.options.config.beacons;
    this.every('node info', b.nodeInfoIntervalS, () => this.sendNodeInfo(BROADCAST, false));
    this.every('neighbour info', b.neighborInfoIntervalS, () => router.sendNeighborInfo(b.neighborInfoIntervalS), 0.1);
    this.every('telemetry', b.telemetryIntervalS, () => this.sendTelemetry(), 0.1);
    this.positionTimerOn = true;
    this.armPositionCheck();
  }

  /** Tells the mesh who we are and asks who is around: at start, and when the radio returns. */
  announce(): void {
    const now = this.options.scheduler.now();
    if (!this.options.canSend() || now - this.lastAnnounceMs < ANNOUNCE_MIN_INTERVAL_MS) return;
    this.lastAnnounceMs = now;
    // Nodes often start together (power back after an outage). Announcing at once, they would
    // collide at every neighbour that hears two of them, then retry only an ack timeout later.
    this.options.scheduler.schedule(this.options.random.next() * ANNOUNCE_SPREAD_MS, () => this.guarded('announcement', () => this.sendNodeInfo(BROADCAST, true)));
  }

  /**
   * Position beacons are decided at a random moment within the start-up spread after a new fix or
   * the radio coming up: nodes that boot (and get their fix) together would otherwise all beacon
   * at once and collide, and a fix that arrived while the radio was down would wait an interval.
   */
  schedulePositionCheck(): void {
    if (this.positionCheckPending || this.options.stopped()) return;
    this.positionCheckPending = true;
    this.options.scheduler.schedule(this.options.random.next() * ANNOUNCE_SPREAD_MS, () => {
      this.positionCheckPending = false;
      this.guarded('position beacon', () => this.maybeSendPosition());
    });
  }

  /** A node that just started asks who is around: answer it, as far away as it is, not further. */
  answerNodeInfoRequest(from: number, hops: number, direct = false): void {
    const now = this.options.scheduler.now();
    if (now - (this.nodeInfoReplies.get(from) ?? -Infinity) < (direct ? DIRECT_NODEINFO_REPLY_INTERVAL_MS : NODEINFO_REPLY_INTERVAL_MS)) return;
    if (this.nodeInfoReplies.size >= 1024) {
      for (const [id, at] of this.nodeInfoReplies) if (now - at >= NODEINFO_REPLY_INTERVAL_MS) this.nodeInfoReplies.delete(id);
    }
    this.nodeInfoReplies.set(from, now);
    // Asked by name (the hub wants it, through a gateway): acknowledged and retried, since the
    // channel is busiest right then (an SOS); a polite answer would be the first thing skipped.
    this.sendNodeInfo(from, false, hops, direct);
  }

  /** Asks one node for its NodeInfo (ours goes with the request): the packet id. */
  requestNodeInfo(to: number): number {
    return this.sendNodeInfo(to, true);
  }

  /** Where we are, at the configured precision, for an alert; undefined without a fix. */
  here(): Position | undefined {
    const fix = this.options.gps?.lastFix;
    return fix && fix.mode !== 'none' ? this.position.toPosition(fix, this.options.clock()) : undefined;
  }

  private sendNodeInfo(to: number, askBack: boolean, hopLimit?: number, reliable = askBack): number {
    const { nodeId, name, publicKey, config } = this.options;
    const data: Data = {
      nodeInfo: { longName: name, shortName: formatNodeId(nodeId).slice(-4), hwModel: 'UNIBOS', role: config.role, publicKey },
      wantResponse: askBack,
    };
    // The announcement asks for an implicit ack (a relay overheard), so a collision at start-up
    // is retried; the periodic ones are polite and may be skipped on a busy channel.
    const options = reliable ? { wantAck: true } : { polite: true };
    return this.options.router.send(to, data, hopLimit === undefined ? options : { ...options, hopLimit });
  }

  private maybeSendPosition(): void {
    const fix = this.options.gps?.lastFix;
    // Paced on the steady clock: a wall clock set back hours (a Pi without RTC getting GPS time)
    // would otherwise hold the beacons back until it caught up. The beacon's time is the wall clock's.
    const now = this.options.scheduler.now();
    // Not while the radio is down: the beacon would count as sent, and the next one is an interval away.
    if (!fix || !this.options.canSend() || !this.position.due(fix, now)) return;
    // The first beacon meets every other node's start-up traffic (a mesh powering up together):
    // like the announcement it asks for an implicit ack and is retried, or the node would stay off
    // the map for a whole interval. Later ones are polite and may be skipped on a busy channel.
    const options = this.position.neverSent ? { wantAck: true } : { polite: true };
    this.position.sent(fix, now);
    this.options.router.send(BROADCAST, { position: this.position.toPosition(fix, this.options.clock()) }, options);
    // The next periodic check is an interval after this beacon, wherever it came from (movement, a new fix).
    if (this.positionTimerOn) this.armPositionCheck();
  }

  /**
   * The periodic position check, an interval (plus up to 10 % jitter, never less: a check that came
   * early would find no beacon due and skip a whole interval) after the last beacon or check.
   */
  private armPositionCheck(): void {
    this.positionTimer?.cancel();
    const ms = this.options.config.beacons.positionIntervalS * 1000 * (1 + 0.1 * this.options.random.next());
    this.positionTimer = this.options.scheduler.schedule(ms, () => {
      this.positionTimer = undefined;
      this.guarded('position beacon', () => this.maybeSendPosition());
      // Not sent (no fix, radio down, not due): check again an interval later.
      if (this.positionTimer === undefined) this.armPositionCheck();
    });
  }

  private sendTelemetry(): void {
    const { router } = this.options;
    const h = this.options.health();
    const uptimeS = this.options.uptimeS();
    const data: Data = {
      telemetry: {
        batteryLevel: h.batteryLevel ?? 0,
        voltage: h.voltage ?? 0,
        cpuTemperature: h.cpuTemperature ?? 0,
        uptimeS,
        channelUtilization: router.utilization.percent(),
        airUtilTx: uptimeS > 0 ? (100 * router.stats.txAirtimeMs) / (uptimeS * 1000) : 0,
      },
    };
    const packetId = router.send(BROADCAST, data, { polite: true });
    this.options.onTelemetry?.({ to: BROADCAST, data, packetId });
  }

  /** Runs `fn` every `intervalS`, spread by ±`jitter` so nodes started together do not collide. */
  private every(what: string, intervalS: number, fn: () => void, jitter = 0.05): void {
    const arm = (): void => {
      this.options.scheduler.schedule(intervalS * 1000 * (1 - jitter + 2 * jitter * this.options.random.next()), () => {
        // Re-armed first: one beacon that fails must not end the ones after it.
        arm();
        this.guarded(what, fn);
      });
    };
    arm();
  }

  /** A beacon that throws (a sensor read, a frame counter that cannot reserve) is logged and skipped, never thrown out of its timer. */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.log.error({ err: err instanceof Error ? err.message : String(err) }, `${what} not sent`);
    }
  }
}
