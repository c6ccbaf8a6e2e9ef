// The people in trouble of the soak bench: simulated nodes that each raise an SOS (`unibos sos`),
// wait until the hub has it, then end it (`unibos sos --safe`) and wait until the hub has resolved
// it, a few rounds each, spread over the run. The delay of an SOS is from `unibos sos` to the hub's
// receive time (the alert's receivedAt, on the same machine's clock).

import type { Proc } from '../../test/support/processes.ts';
import { unibos } from '../../test/support/processes.ts';
import type { AlertView, HubClient } from './hub-client.ts';
import type { FaultKind, FaultTimeline } from './fault-timeline.ts';

export interface SosNode {
  proc: Proc;
  dataDir: string;
  nodeId: string;
  busy: boolean;
  /** SOS raised on this node so far. */
  raised: number;
}

export interface SosRound {
  nodeId: string;
  requestId: number;
  raisedMs: number;
  /** Faults in effect when it was raised. */
  raisedDuring: FaultKind[];
  forcedBy?: string;
  /** The hub's receive time; unset if it never arrived. */
  hubMs?: number;
  resolvedAtHub: boolean;
  /**
   * The hub still had an open SOS of this node (its "I am safe" never arrived), so this one only
   * touched it: the alert's receive time is the old one, and hubMs is when the bench saw it instead.
   */
  merged?: boolean;
  error?: string;
}

/** Polls the hub's alerts while someone waits on them; a hub that is down is simply asked again. */
export class AlertWatcher {
  private latest: AlertView[] = [];
  private waiters = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly hub: HubClient) {}

  /** The first thing `pick` finds in the hub's alerts, or undefined after the timeout. */
  async until<T>(pick: (alerts: AlertView[]) => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    this.waiters++;
    this.timer ??= setInterval(() => void this.poll(), 500);
    try {
      for (;;) {
        const found = pick(this.latest);
        if (found !== undefined) return found;
        if (Date.now() > deadline) return undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      if (--this.waiters === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      this.latest = await this.hub.alerts();
    } catch {
      // The hub is down (part of the bench); the next poll asks again.
    } finally {
      this.polling = false;
    }
  }
}

export class SosRounds {
  readonly rounds: SosRound[] = [];
  private started = 0;
  private forced: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private readonly holds: Array<{ fromMs: number; toMs: number }> = [];

  constructor(
    private readonly nodes: SosNode[],
    private readonly total: number,
    /** The run's planned length: SOS are spread evenly over it. */
    private readonly spreadMs: number,
    private readonly watcher: AlertWatcher,
    private readonly faults: FaultTimeline,
    private readonly timeoutMs: number,
  ) {}

  start(): void {
    this.startMs = Date.now();
    this.timer = setInterval(() => this.tick(), 200);
  }

  /**
   * Raises the next SOS now on an idle node (a fault just began); resolves once `unibos sos` has
   * returned, so the caller knows it was raised before it ends the fault. False when no node is idle.
   */
  async raiseNow(why: string, reserved?: SosNode): Promise<boolean> {
    if (reserved) reserved.busy = false;
    const node = reserved ?? this.idle()[0];
    if (!node || this.started >= this.total) return false;
    let raised!: () => void;
    const wasRaised = new Promise<void>((r) => (raised = r));
    this.launch(node, why, raised);
    await wasRaised;
    return true;
  }

  /**
   * Waits (at most timeoutMs) for a node that can raise an SOS and keeps it for raiseNow(), so a
   * fault is only started once its SOS can be raised the moment it begins.
   */
  async reserve(timeoutMs: number): Promise<SosNode | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.started < this.total) {
      const node = this.idle()[0];
      if (node) {
        node.busy = true;
        return node;
      }
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  }

  /** Resolves when every SOS has been raised and has finished its round. */
  async finished(): Promise<void> {
    while (this.started < this.total || this.running.size > 0) {
      await new Promise((r) => setTimeout(r, 200));
    }
    clearInterval(this.timer);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Keeps one node idle for raiseNow() between these times (a fault is planned then). */
  holdIdle(fromMs: number, toMs: number): void {
    this.holds.push({ fromMs, toMs });
  }

  private tick(): void {
    const slotMs = this.spreadMs / this.total;
    const now = Date.now();
    const holding = this.holds.some((h) => h.fromMs <= now && now < h.toMs);
    while (this.started < this.total && now - this.startMs >= (this.started + 0.5) * slotMs) {
      // The node whose turn it is, or the next idle one.
      const idle = this.idle();
      if (idle.length <= (holding ? 1 : 0)) return;
      const preferred = this.nodes[this.started % this.nodes.length]!;
      const node = idle.includes(preferred) ? preferred : idle[0]!;
      this.launch(node, undefined, () => undefined);
    }
  }

  /** Nodes free to raise their next SOS; each raises its share (total / nodes, rounded up) at most. */
  private idle(): SosNode[] {
    const share = Math.ceil(this.total / this.nodes.length);
    return this.nodes.filter((n) => !n.busy && n.raised < share);
  }

  private launch(node: SosNode, forcedBy: string | undefined, raised: () => void): void {
    node.busy = true;
    node.raised++;
    this.started++;
    const p = this.round(node, forcedBy, raised).finally(() => {
      node.busy = false;
      this.running.delete(p);
    });
    this.running.add(p);
  }

  private async round(node: SosNode, forcedBy: string | undefined, raised: () => void): Promise<void> {
    const raisedMs = Date.now();
    const raisedDuring = this.faults.at(raisedMs);
    const r = await unibos(['sos', '--json', '--data-dir', node.dataDir]);
    raised();
    if (r.code !== 0) {
      this.rounds.push({ nodeId: node.nodeId, requestId: 0, raisedMs, raisedDuring, resolvedAtHub: false, error: `unibos sos exited ${r.code}: ${r.stderr.trim()}`, ...(forcedBy ? { forcedBy } : {}) });
      return;
    }
    const { requestId } = JSON.parse(r.stdout) as { requestId: number };
    const round: SosRound = { nodeId: node.nodeId, requestId, raisedMs, raisedDuring, resolvedAtHub: false, ...(forcedBy ? { forcedBy } : {}) };
    this.rounds.push(round);
    const mine = (alerts: AlertView[]): AlertView | undefined => alerts.find((a) => a.level === 'SOS' && a.nodeId === node.nodeId && a.requestId === requestId);
    const atHub = await this.watcher.until((alerts) => {
      const a = mine(alerts);
      return a?.receivedAt ? a : undefined;
    }, this.timeoutMs);
    if (!atHub) {
      round.error = `not at the hub within ${this.timeoutMs / 1000} s`;
      // End it on the node anyway, so its next round starts from a clean state.
      await unibos(['sos', '--safe', '--data-dir', node.dataDir]);
      return;
    }
    round.hubMs = Date.parse(atHub.receivedAt!);
    if (round.hubMs < raisedMs) {
      round.merged = true;
      round.hubMs = Date.now();
    }
    const safe = await unibos(['sos', '--safe', '--data-dir', node.dataDir]);
    if (safe.code !== 0) {
      round.error = `unibos sos --safe exited ${safe.code}: ${safe.stderr.trim()}`;
      return;
    }
    // The next SOS of this node must open a new alert, not touch this one: wait until it is resolved.
    round.resolvedAtHub = (await this.watcher.until((alerts) => (mine(alerts)?.state === 'resolved' ? true : undefined), this.timeoutMs)) === true;
  }
}
