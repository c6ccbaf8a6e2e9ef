// The messages run.ts exchanges with its load processes over the fork() IPC channel, and the layout
// of a bench payload. Timestamps are process.hrtime (CLOCK_MONOTONIC), which every process on the
// machine shares, so a subscriber can subtract a publisher's send time from its own receive time.

export type Qos = 0 | 1;

export interface MqttTarget {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Client ids are '<prefix><suffix>'; the gateway lets the hub device use only 'bench:<suffix>'. */
  readonly clientIdPrefix: string;
}

/** run.ts -> publisher process. */
export type PublisherCommand =
  | { readonly cmd: 'prepare'; readonly target: MqttTarget; readonly qos: Qos; readonly clients: number; readonly firstPublisher: number; readonly perClient: number; readonly window: number; readonly runId: string }
  | { readonly cmd: 'go' }
  /** Disconnects the run's clients; sent only after the subscriber has its messages. */
  | { readonly cmd: 'close' };

/** publisher process -> run.ts. */
export type PublisherReport =
  | { readonly kind: 'ready' }
  | { readonly kind: 'published'; readonly sent: number }
  | { readonly kind: 'closed' }
  | { readonly kind: 'error'; readonly message: string };

/** run.ts -> subscriber process. */
export type SubscriberCommand =
  | { readonly cmd: 'arm'; readonly target: MqttTarget; readonly qos: Qos; readonly expected: number; readonly runId: string }
  /** Publishers are done: answer once everything arrived, or after `quietMs` without a message. */
  | { readonly cmd: 'finish'; readonly quietMs: number };

export interface SubscriberResult {
  readonly received: number;
  readonly duplicates: number;
  /** hrtime (ns, as a decimal string: bigint does not cross IPC) of the last message. */
  readonly lastNs: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** subscriber process -> run.ts. */
export type SubscriberReport =
  | { readonly kind: 'armed' }
  | { readonly kind: 'result'; readonly result: SubscriberResult }
  | { readonly kind: 'error'; readonly message: string };

export const BENCH_TOPIC_PREFIX = 'unibos/v1/bench';
export const PAYLOAD_BYTES = 64;

/** [0..8) send hrtime ns, [8..12) publisher index, [12..16) sequence; the rest is padding. */
export function encodePayload(publisher: number, seq: number): Buffer {
  const b = Buffer.alloc(PAYLOAD_BYTES, 0x2e);
  b.writeUInt32BE(publisher, 8);
  b.writeUInt32BE(seq, 12);
  b.writeBigUInt64BE(process.hrtime.bigint(), 0);
  return b;
}

export function decodePayload(b: Buffer): { sentNs: bigint; publisher: number; seq: number } | null {
  if (b.length < 16) return null;
  return { sentNs: b.readBigUInt64BE(0), publisher: b.readUInt32BE(8), seq: b.readUInt32BE(12) };
}
