// One /ws connection: authenticate the token, say hello, replay the org's events after `since`,
// then stream live ones, with no gap and no duplicate between the two. Also the client's topic
// filter, JSON and WebSocket-level keepalive, and closing a client that cannot keep up.

import type { FastifyBaseLogger } from 'fastify';
import WebSocket, { type RawData } from 'ws';
import { can, type AuthContext } from '../auth/auth-context.ts';
import { HubError } from '../hub-error.ts';
import type { EventFanout } from './event-fanout.ts';
import type { EventLog } from './event-log.ts';
import {
  CLOSE_AUTH_FAILED,
  CLOSE_SLOW_CONSUMER,
  CLOSE_TOO_MANY_STREAMS,
  eventFrame,
  parseClientMessage,
  serverFrame,
  type ClientMessage,
  type ServerMessage,
} from './event-stream-messages.ts';
import type { CloseReason, EventStreamMetrics } from './event-stream-metrics.ts';
import type { EventTopic, HubEvent } from './hub-event.ts';
import type { StreamLimits } from './stream-limits.ts';

export interface EventStreamOptions {
  /** WebSocket-level ping period; a connection that has not answered the previous ping by the next is terminated. */
  pingIntervalMs: number;
  /** Bytes allowed to wait in a connection's send buffer; past this the client is closed with 4008. */
  maxBufferedBytes: number;
  /** Events read from the log per replay step; the loop yields between steps. */
  replayPageSize: number;
  /** Live events held back while a replay runs; a client whose replay falls this far behind is closed with 4008. */
  maxPendingEvents: number;
}

export const EVENT_STREAM_DEFAULTS: Readonly<EventStreamOptions> = {
  pingIntervalMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  replayPageSize: 500,
  maxPendingEvents: 10_000,
};

export interface EventStreamDeps {
  log: Pick<EventLog, 'after' | 'lastId'>;
  fanout: EventFanout;
  authenticateToken: (token: string) => Promise<AuthContext>;
  metrics: EventStreamMetrics;
  logger: FastifyBaseLogger;
  options: EventStreamOptions;
  /** Admitted this socket (the route did); each session holds one of its user's streams while open. */
  limits: Pick<StreamLimits, 'hold' | 'release' | 'leave'>;
}

/** Client messages that arrive while the token is being checked; more than this before hello is abuse. */
const MAX_EARLY_MESSAGES = 16;
/** WebSocket close reasons are limited to 123 bytes. */
const MAX_CLOSE_REASON = 123;

type State = 'authenticating' | 'replaying' | 'live' | 'closed';

export class EventStreamSession {
  private state: State = 'authenticating';
  private auth: AuthContext | null = null;
  /** null: every topic (the default until the client subscribes). */
  private topics: ReadonlySet<EventTopic> | null = null;
  private early: Array<string | null> = [];
  /** Live events that arrived during the replay, sent once it ends. */
  private pending: Array<{ event: HubEvent; frame: Buffer }> = [];
  /** Live events with an id at or below this were (or would have been) replayed; see start(). */
  private floor = 0;
  private alive = true;
  private opened = false;
  private stopLive: (() => void) | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closedSignal: Promise<void>;
  private closeReason: CloseReason = 'client';
  private token = '';
  private recheck: Promise<void> | null = null;
  /** Holds one of the hub's places (the route admitted it) until refused or ended. */
  private admitted = true;

  constructor(private readonly socket: WebSocket, private readonly deps: EventStreamDeps) {
    // Listeners go on before the first await, or a message sent right after the upgrade is lost.
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('error', (err) => deps.logger.debug({ err }, 'event stream: socket error'));
    this.closedSignal = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closedSignal.then(() => this.dispose());
    this.heartbeat = setInterval(() => this.beat(), deps.options.pingIntervalMs);
    this.heartbeat.unref();
  }

  /** Runs the stream: `token` from ?token=, `since` from ?since= (already validated as an integer >= 0). */
  async start(token: string | undefined, since: number | undefined): Promise<void> {
    const auth = await this.authenticate(token);
    if (!auth || this.state === 'closed') return;
    if (!this.deps.limits.hold(auth.userId)) {
      this.deps.metrics.connections.inc({ result: 'too_many_streams' });
      this.closeReason = 'too_many_streams';
      this.close(CLOSE_TOO_MANY_STREAMS, 'too many event streams open for this user: close one (another tab) first');
      this.leave();
      return;
    }
    this.auth = auth;
    this.deps.metrics.connections.inc({ result: 'accepted' });
    this.deps.metrics.open.inc();
    this.opened = true;

    // Subscribe first, then read the org's newest id in the same turn: every live event has a
    // higher id, every event up to it is in the log. The replay covers (since, floor], live (floor, ...).
    this.stopLive = this.deps.fanout.subscribe(auth.orgId, (event, frame) => this.onLive(event, frame));
    this.floor = this.deps.log.lastId(auth.orgId);
    this.send({ type: 'hello', lastId: this.floor });
    this.state = since === undefined ? 'live' : 'replaying';
    for (const text of this.early) this.handle(text);
    this.early = [];
    if (since !== undefined) await this.replay(since);
  }

  private async authenticate(token: string | undefined): Promise<AuthContext | null> {
    if (!token) return this.refuse('authentication required: pass ?token=<access token or API key>');
    this.token = token;
    let auth: AuthContext;
    try {
      auth = await this.deps.authenticateToken(token);
    } catch (err) {
      if (err instanceof HubError) return this.refuse(err.message);
      this.deps.logger.error({ err }, 'event stream: authentication failed unexpectedly');
      return this.refuse('authentication failed');
    }
    if (!can(auth, 'read')) return this.refuse(`this ${auth.kind === 'apiKey' ? 'API key' : 'role'} may not read events`);
    return auth;
  }

  private refuse(reason: string): null {
    this.deps.metrics.connections.inc({ result: 'auth_failed' });
    this.closeReason = 'auth_failed';
    this.close(CLOSE_AUTH_FAILED, reason);
    this.leave();
    return null;
  }

  /**
   * Gives the hub's place back: at once for a refused socket (a peer that never answers the close
   * would hold it 30 s, and sockets with no token could then keep everyone out), else at the end.
   */
  private leave(): void {
    if (!this.admitted) return;
    this.admitted = false;
    this.deps.limits.leave();
  }

  private async replay(since: number): Promise<void> {
    const { log, options } = this.deps;
    const orgId = this.auth!.orgId;
    let cursor = since;
    while (this.state === 'replaying' && cursor < this.floor) {
      const page = log.after(orgId, cursor, options.replayPageSize);
      for (const event of page) {
        if (event.id > this.floor || this.state !== 'replaying') break;
        cursor = event.id;
        if (!this.wants(event.topic) || !this.reaches(event)) continue;
        const frame = eventFrame(event);
        // Replay is our burst, not the client's fault: wait for the socket to drain rather than
        // judging the client by it. A client that never drains is caught by the pending limit
        // (live events piling up) or the keepalive.
        if (this.socket.bufferedAmount + frame.length > options.maxBufferedBytes) await this.sendFlushed(frame);
        else this.sendEvent(frame);
      }
      if (page.length < options.replayPageSize) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.state !== 'replaying') return;
    this.state = 'live';
    const pending = this.pending;
    this.pending = [];
    for (const { event, frame } of pending) this.onLive(event, frame);
  }

  private onLive(event: HubEvent, frame: Buffer): void {
    if (!this.wants(event.topic) || !this.reaches(event)) return;
    // Ephemeral events have no id of their own: they go to live streams only and move no floor.
    if (event.ephemeral) {
      if (this.state === 'live' && this.socket.bufferedAmount <= this.deps.options.maxBufferedBytes) this.sendEvent(frame);
      return;
    }
    if (event.id <= this.floor) return;
    if (this.state === 'replaying') {
      this.pending.push({ event, frame });
      if (this.pending.length > this.deps.options.maxPendingEvents) this.slowConsumer(this.pending.length);
      return;
    }
    if (this.state !== 'live') return;
    if (this.socket.bufferedAmount > this.deps.options.maxBufferedBytes) {
      this.slowConsumer(1);
      return;
    }
    this.floor = event.id;
    this.sendEvent(frame);
  }

  private wants(topic: EventTopic): boolean {
    return this.topics === null || this.topics.has(topic);
  }

  /** An event with an audience (a conversation's members) reaches only their streams. */
  private reaches(event: HubEvent): boolean {
    return event.audience === undefined || (this.auth !== null && event.audience.includes(this.auth.userId));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const text = isBinary ? null : data.toString();
    if (this.state === 'authenticating') {
      if (this.early.length < MAX_EARLY_MESSAGES) this.early.push(text);
      return;
    }
    this.handle(text);
  }

  private handle(text: string | null): void {
    if (this.state === 'closed') return;
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      this.send({ type: 'error', code: 'E_BAD_REQUEST', message: parsed.message });
      return;
    }
    this.apply(parsed.message);
  }

  private apply(message: ClientMessage): void {
    switch (message.type) {
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'subscribe':
        this.topics = new Set(message.topics);
        return;
    }
  }

  private slowConsumer(dropped: number): void {
    this.deps.metrics.dropped.inc(dropped);
    this.closeReason = 'slow_consumer';
    this.deps.logger.info({ orgId: this.auth?.orgId, bufferedBytes: this.socket.bufferedAmount, pending: this.pending.length }, 'event stream: closing slow consumer');
    this.pending = [];
    this.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
  }

  private beat(): void {
    if (!this.alive) {
      this.closeReason = 'ping_timeout';
      this.socket.terminate();
      return;
    }
    this.alive = false;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
    if (this.auth && !this.recheck) this.recheck = this.recheckToken().finally(() => (this.recheck = null));
  }

  /**
   * A stream outlives a request: like every request re-reads the caller's membership, the stream
   * re-checks its token at each keepalive, so an expired token or a removed member is cut off
   * (4001; the client reconnects with a fresh token and since=<last id>, losing nothing).
   */
  private async recheckToken(): Promise<void> {
    let auth: AuthContext;
    try {
      auth = await this.deps.authenticateToken(this.token);
    } catch (err) {
      this.closeReason = 'auth_failed';
      this.close(CLOSE_AUTH_FAILED, err instanceof HubError ? err.message : 'authentication failed');
      return;
    }
    if (auth.orgId !== this.auth?.orgId || !can(auth, 'read')) {
      this.closeReason = 'auth_failed';
      this.close(CLOSE_AUTH_FAILED, 'this token may no longer read events');
    }
  }

  private send(message: ServerMessage): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    // Replies to the client's messages wait in the same buffer as events, under the same limit:
    // a client that sends and never reads would otherwise make the hub hold every reply.
    if (this.socket.bufferedAmount > this.deps.options.maxBufferedBytes) return this.slowConsumer(0);
    this.socket.send(serverFrame(message));
  }

  private sendEvent(frame: Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(frame, { binary: false });
    this.deps.metrics.sent.inc();
  }

  /** Sends and resolves once the frame is handed to the OS (or the connection ends). */
  private async sendFlushed(frame: Buffer): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const written = new Promise<void>((resolve) => this.socket.send(frame, { binary: false }, () => resolve()));
    this.deps.metrics.sent.inc();
    await Promise.race([written, this.closedSignal]);
  }

  /** Stops the stream now and starts the closing handshake (ws ends it after 30 s if the peer never answers). */
  private close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopLive?.();
    this.stopLive = null;
    this.socket.close(code, truncate(reason, MAX_CLOSE_REASON));
  }

  private dispose(): void {
    this.state = 'closed';
    this.stopLive?.();
    this.stopLive = null;
    this.pending = [];
    this.early = [];
    clearInterval(this.heartbeat);
    if (this.opened) {
      this.deps.metrics.open.dec();
      this.deps.limits.release(this.auth!.userId);
    }
    this.leave();
    this.deps.metrics.closed.inc({ reason: this.closeReason });
  }
}

function truncate(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = text.slice(0, maxBytes);
  while (Buffer.byteLength(out) > maxBytes - 3) out = out.slice(0, -1);
  return `${out}...`;
}
