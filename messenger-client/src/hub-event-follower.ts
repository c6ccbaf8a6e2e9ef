// Live delivery: the hub's /ws event stream says when something arrived for the user's
// conversations (metadata only), and the client then pulls its inbox. The stream is only a nudge;
// the inbox stays the one source of messages, so a missed event costs latency, never a message.

/** The part of a WebSocket this uses: the browser's and the `ws` package's both fit. */
export interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

/** The messenger topic of the hub's event stream (mesh-protocol's EVENT_TOPICS). */
const MESSENGER_TOPIC = 'messenger';

export interface FollowHandle {
  /** Resolves once the hub said hello and the subscription is in place. */
  ready: Promise<void>;
  /** Resolves when the stream ends (closed by either side). */
  closed: Promise<void>;
  close(): void;
}

/** A messenger event as the stream carries it: its type and metadata (never content). */
export interface HubEventNudge {
  event: string;
  data: Record<string, unknown>;
}

/** Opens the stream as `token` and calls `onNudge` for every messenger event. */
export function followHubEvents(hubUrl: string, token: string, onNudge: (e: HubEventNudge) => void, open: WebSocketFactory): FollowHandle {
  const url = new URL('/ws', hubUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('token', token);
  const ws = open(url.toString());
  let readyResolve!: () => void;
  let readyReject!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
  ready.catch(() => {});
  const closed = new Promise<void>((resolve) => {
    ws.onclose = () => {
      readyReject(new Error('the hub closed the event stream before it said hello'));
      resolve();
    };
  });
  ws.onerror = () => {};
  ws.onmessage = (ev) => {
    let frame: { type?: string; topic?: string; event?: unknown; data?: unknown };
    try {
      frame = JSON.parse(typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as Uint8Array)) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === 'hello') {
      ws.send(JSON.stringify({ type: 'subscribe', topics: [MESSENGER_TOPIC] }));
      readyResolve();
    } else if (frame.type === 'event' && frame.topic === MESSENGER_TOPIC) {
      onNudge({ event: typeof frame.event === 'string' ? frame.event : '', data: typeof frame.data === 'object' && frame.data !== null ? (frame.data as Record<string, unknown>) : {} });
    }
  };
  return { ready, closed, close: () => ws.close() };
}
