// The hostile sensor of the soak bench: valid credentials, one poison message a second, each on a
// fresh connection so one refusal cannot hide the next. A poison message is "refused" when the
// gateway closes the connection or stays silent instead of sending PUBACK; "acked" means the gateway
// accepted something the hub cannot take, which the bench reports as a failure.

import mqtt from 'mqtt';
import type { SensorCredentials } from './sensor-fleet.ts';

export type PoisonKind = 'deep_topic' | 'payload_256k' | 'non_finite' | 'nested_40';

/** The reason the gateway's door is expected to give for each kind (unibos_broker_hub_refusals). */
export const EXPECTED_REFUSAL: Record<PoisonKind, string> = {
  deep_topic: 'topic_depth',
  payload_256k: 'too_large',
  non_finite: 'bad_payload',
  nested_40: 'bad_payload',
};

const KINDS: PoisonKind[] = ['deep_topic', 'payload_256k', 'non_finite', 'nested_40'];

function poison(kind: PoisonKind, id: string): { topic: string; payload: string | Buffer } {
  const base = `unibos/v1/sensor/${id}`;
  switch (kind) {
    case 'deep_topic':
      return { topic: `${base}/a/b/c/d/e`, payload: '1' };
    case 'payload_256k':
      return { topic: `${base}/level`, payload: Buffer.alloc(256 * 1024, 0x31) };
    case 'non_finite':
      return { topic: `${base}/level`, payload: '1e999' };
    case 'nested_40':
      return { topic: `${base}/level`, payload: `${'{"a":'.repeat(40)}1${'}'.repeat(40)}` };
  }
}

export type PoisonOutcome = 'refused' | 'acked' | 'unsent';

export class HostileSensor {
  readonly outcomes: Array<{ kind: PoisonKind; outcome: PoisonOutcome; atMs: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly creds: SensorCredentials,
    private readonly port: number,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => {
      const p = this.sendOne(KINDS[this.seq % KINDS.length]!, this.seq++);
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
  }

  count(outcome: PoisonOutcome, kind?: PoisonKind): number {
    return this.outcomes.filter((o) => o.outcome === outcome && (kind === undefined || o.kind === kind)).length;
  }

  private sendOne(kind: PoisonKind, seq: number): Promise<void> {
    const atMs = Date.now();
    return new Promise((resolve) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${this.port}`, {
        clientId: `${this.creds.id}:${seq}`,
        username: this.creds.id,
        password: this.creds.password,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 3_000,
      });
      let settled = false;
      let published = false;
      const settle = (outcome: PoisonOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        this.outcomes.push({ kind, outcome, atMs });
        client.end(true, {}, () => resolve());
      };
      // No PUBACK within 5 s on a connection that stays open is a refusal too.
      const timeout = setTimeout(() => settle(published ? 'refused' : 'unsent'), 5_000);
      client.on('error', () => undefined);
      client.on('close', () => settle(published ? 'refused' : 'unsent'));
      client.once('connect', () => {
        const { topic, payload } = poison(kind, this.creds.id);
        published = true;
        client.publish(topic, payload, { qos: 1 }, (err) => settle(err ? 'refused' : 'acked'));
      });
    });
  }
}
