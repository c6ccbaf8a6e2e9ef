// Child process of the bench: opens N /ws clients and records, for every event each receives, the
// time from the hub appending it (data.sentAt, epoch ms) to the client reading it.

import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export interface FanoutClientsRequest {
  url: string;
  clients: number;
  /** Connections opened at a time. */
  batch: number;
}

export type FanoutClientsMessage =
  | { ready: { clients: number; connectMs: number } }
  | { result: { received: number; latenciesMs: number[]; gaps: number; cutOff: number } }
  | { error: string };

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one host. */
const nowMs = (): number => performance.timeOrigin + performance.now();

const sockets: WebSocket[] = [];
const latencies: number[] = [];
let gaps = 0;
/** Streams the hub closed during the run (e.g. as slow consumers). */
let cutOff = 0;
let finishing = false;

let onReceived: (() => void) | null = null;

process.on('message', (message: { start?: FanoutClientsRequest; finish?: { perClient: number } }) => {
  if (message.start) void open(message.start).catch((err: unknown) => process.send!({ error: (err as Error).message }));
  if (message.finish) void finish(message.finish.perClient);
});

/** Reports once every client has every event (or after 10 s, and what arrived by then). */
async function finish(perClient: number): Promise<void> {
  const expected = perClient * sockets.length;
  if (latencies.length < expected) {
    await new Promise<void>((resolve) => {
      const cap = setTimeout(resolve, 10_000);
      onReceived = () => {
        if (latencies.length < expected) return;
        clearTimeout(cap);
        resolve();
      };
    });
  }
  finishing = true;
  for (const ws of sockets) ws.terminate();
  process.send!({ result: { received: latencies.length, latenciesMs: latencies, gaps, cutOff } }, () => process.exit(0));
}

async function open(r: FanoutClientsRequest): Promise<void> {
  const started = nowMs();
  for (let i = 0; i < r.clients; i += r.batch) {
    await Promise.all(Array.from({ length: Math.min(r.batch, r.clients - i) }, () => connect(r.url)));
  }
  process.send!({ ready: { clients: sockets.length, connectMs: nowMs() - started } });
}

function connect(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let lastId = -1;
    ws.once('error', reject);
    let open = false;
    ws.once('close', (code, reason) => {
      if (!open) reject(new Error(`closed before hello: ${code} ${reason.toString()}`));
      else if (!finishing) cutOff++;
    });
    ws.on('message', (data) => {
      const t = nowMs();
      const frame = JSON.parse(data.toString()) as { type: string; id?: number; data?: { sentAt?: number } };
      if (frame.type === 'hello') {
        open = true;
        sockets.push(ws);
        resolve();
        return;
      }
      if (frame.type !== 'event' || frame.id === undefined) return;
      if (lastId !== -1 && frame.id !== lastId + 1) gaps++;
      lastId = frame.id;
      if (typeof frame.data?.sentAt === 'number') latencies.push(t - frame.data.sentAt);
      onReceived?.();
    });
  });
}
