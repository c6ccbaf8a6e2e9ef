// The outbox pump: hands the node's own queued messages (outbox.ts) to the router one alert and one
// text at a time while the radio can send, and settles each by what the router reports back (sent,
// acknowledged, refused or unanswered), with backoff for what must be tried again.

import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { BROADCAST, formatNodeId, type Data, type MeshRouter, type Random, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import type { Outbox, OutboxEntry, OutboxPriority, WhenRefused } from './outbox.ts';

/** A broadcast nobody relayed still reached whoever heard it: neighbours heard this recently count. */
const NEIGHBOUR_FRESH_MS = 30 * 60_000;
/**
 * Real attempts (each up to the router's three transmissions) before a message is given up: with
 * the backoff capped at 15 min, about a day of trying. Counted in attempts, not wall-clock age,
 * because a Pi without a real-time clock can jump days when it first gets the time.
 */
const MAX_ATTEMPTS = 100;
/** Timers are re-armed at least this often, so a wall-clock jump cannot leave the outbox asleep. */
const MAX_PUMP_SLEEP_MS = 60_000;
/**
 * Messages of one priority handed to the router at once, each to a different destination. One at
 * a time in all let a text to a node that is gone (three transmissions a try, tried again and
 * again) hold every later text, to anyone, for minutes; now it holds only its own destination's turn.
 */
const IN_FLIGHT_PER_PRIORITY = 3;

/**
 * How a layer above puts a message on the outbox: returns its packet id once it is on disk (or,
 * with `whenRefused` 'hold' and a disk that refuses the write, once it is held in memory to be sent anyway).
 */
export type Enqueue = (to: number, data: Data, priority: OutboxPriority, supersedes?: string, whenRefused?: WhenRefused) => number;

/** What the pump needs of the router: sending, and who was heard directly lately. */
export interface PumpRouter {
  send: MeshRouter['send'];
  neighbors: Pick<MeshRouter['neighbors'], 'direct'>;
}

export interface OutboxPumpOptions {
  outbox: Outbox;
  router: PumpRouter;
  scheduler: Scheduler;
  random: Random;
  /** Wall-clock time, as stored in the outbox. */
  clock: () => number;
  /** False while the node is stopped or its radio cannot send: messages then wait on disk. */
  canSend: () => boolean;
  /**
   * Whether `id` is known to be a hub user's messenger device: it has a mesh address (its key's
   * hash) but no radio, so nobody on the mesh can acknowledge a message to it. An address the node
   * knows nothing about is a radio that may be off: its messages are retried. Default: none is.
   */
  isHubDevice?: (id: number) => boolean;
  /** A new message is on the outbox (told once, whether or not the radio can send it now). */
  onQueued?: (q: { to: number; data: Data; packetId: number }) => void;
  log: Logger;
}

export class OutboxPump {
  /**
   * Own messages handed to the router: per priority at most IN_FLIGHT_PER_PRIORITY, one at a time
   * to each destination, an SOS never stuck behind another alert, alerts never behind texts.
   */
  private readonly inFlight = new Map<number, OutboxEntry>();
  private pumpTimer: TimerHandle | undefined;
  private pumpAtMs = Infinity;

  constructor(private readonly options: OutboxPumpOptions) {}

  /** Messages handed to the router and not settled yet. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Messages given up after MAX_ATTEMPTS unanswered attempts (the outbox's `dropped['gave-up']`). */
  get expired(): number {
    return this.options.outbox.dropped['gave-up'];
  }

  /** Stores a message durably, then tries to send it; returns its packet id. */
  readonly enqueue: Enqueue = (to, data, priority, supersedes, whenRefused = 'throw') => {
    const packetId = randomInt(1, 0xffffffff);
    const entry = { packetId, to, data, wantAck: true, priority, createdMs: this.options.clock() };
    // What is in flight stays: the router already has it, so pushing it out would not stop it.
    this.options.outbox.add(supersedes === undefined ? entry : { ...entry, supersedes }, whenRefused, this.inFlight.keys());
    this.pump();
    this.options.onQueued?.({ to, data, packetId });
    return packetId;
  };

  /** Hands due messages to the router while the radio is up: per priority a few, one per destination. */
  pump(): void {
    const { outbox, scheduler, clock } = this.options;
    if (!this.options.canSend()) return;
    const now = clock();
    for (const priority of ['sos', 'alert', 'text'] as const) {
      const busy = [...this.inFlight.values()].filter((e) => e.priority === priority).map((e) => e.to);
      while (busy.length < IN_FLIGHT_PER_PRIORITY) {
        // The oldest due message to a destination not already waiting for an answer, however many
        // wait for the busy ones (the database leaves those out).
        const [e] = outbox.dueAt(now, priority, 1 + this.inFlight.size, busy).filter((x) => !this.inFlight.has(x.packetId));
        if (!e) break;
        busy.push(e.to);
        this.start(e);
      }
    }
    const next = outbox.nextDueAfter(now);
    if (next !== undefined && next < this.pumpAtMs) {
      this.pumpTimer?.cancel();
      this.pumpAtMs = next;
      this.pumpTimer = scheduler.schedule(Math.min(next - now, MAX_PUMP_SLEEP_MS), () => {
        this.pumpAtMs = Infinity;
        this.pumpTimer = undefined;
        this.pump();
      });
    }
  }

  /** Hands `e` to the router, in flight until it is settled. */
  private start(e: OutboxEntry): void {
    const { outbox, router, log } = this.options;
    this.inFlight.set(e.packetId, e);
    const opts = e.hopLimit === undefined ? { id: e.packetId, wantAck: e.wantAck } : { id: e.packetId, wantAck: e.wantAck, hopLimit: e.hopLimit };
    try {
      router.send(e.to, e.data, opts);
    } catch (err) {
      // It passed the size check when queued, so this is unexpected: drop it rather than retry forever.
      log.error({ err, packetId: e.packetId }, 'dropping an outbox message the router refused');
      this.inFlight.delete(e.packetId);
      outbox.drop(e, 'router-refused');
    }
  }

  /** The router put frame `id` on air. */
  sent(id: number): void {
    const e = this.inFlight.get(id);
    // A message that wants an ack stays until the ack (or the nak) comes.
    if (e && !e.wantAck) this.settle(id, 'sent');
  }

  /** Frame `id` was acknowledged by node `by`. */
  acknowledged(id: number, by: number): void {
    this.settle(id, `acknowledged by ${formatNodeId(by)}`);
  }

  /** Frame `id` was refused or went unanswered: give it up, or keep it for later. */
  notDelivered(id: number, reason: string): void {
    const { outbox, router, scheduler, random, clock, log } = this.options;
    const e = this.inFlight.get(id);
    if (!e) return;
    this.inFlight.delete(id);
    // MAX_RETRANSMIT: it went on air every time, unanswered. Anything else: the radio, the queue
    // or the budget kept it off the air, which is no attempt at all.
    const attempted = reason === 'MAX_RETRANSMIT';
    // Nobody relayed our broadcast, but direct neighbours were around to hear it: at the edge of
    // the mesh there is no one further to relay to, so this is as delivered as a broadcast gets.
    // The same for a reply to a hub user (no radio can acknowledge it): the gateways among those
    // neighbours forward what they hear, and retrying for a day would only spend the channel.
    const unanswerable = e.to === BROADCAST || (this.options.isHubDevice?.(e.to) ?? false);
    if (attempted && unanswerable && router.neighbors.direct(scheduler.now(), NEIGHBOUR_FRESH_MS).length > 0) {
      outbox.done(id);
      if (e.to !== BROADCAST) log.info({ packetId: id, to: formatNodeId(e.to) }, 'sent to a hub user: it went on air with neighbours around; no radio can acknowledge it');
      this.pump();
      return;
    }
    if (attempted && e.attempts + 1 >= MAX_ATTEMPTS) {
      outbox.drop(e, 'gave-up');
      log.warn({ packetId: id, to: formatNodeId(e.to), attempts: e.attempts + 1 }, 'gave up on a message nobody acknowledged');
    } else {
      // Nobody answered (the destination is away): wait longer each time. A radio or budget
      // problem is retried sooner.
      const base = attempted ? 30_000 : 5_000;
      const wait = Math.min(base * 2 ** Math.min(e.attempts, 10), 15 * 60_000) * (0.75 + random.next() / 2);
      outbox.retryAt(id, clock() + Math.round(wait), attempted);
      log.info({ packetId: id, reason, retryInS: Math.round(wait / 1000) }, 'message not delivered yet; kept in the outbox');
    }
    this.pump();
  }

  private settle(id: number, how: string): void {
    if (!this.inFlight.delete(id)) return;
    this.options.outbox.done(id);
    this.options.log.debug({ packetId: id }, `outbox message ${how}`);
    this.pump();
  }
}
