// The gateway broker's internal subscriptions without the network, for profile tests: each publish
// reaches every matching handler as the given login, as GatewayBroker does.

import { topicMatches } from '@unibos/mesh-protocol';
import type { BrokerMessageHandler } from '../../src/broker/gateway-broker.ts';

/** `respond` plays the device answering a command the gateway published. */
export class FakeBroker {
  subs: Array<{ filter: string; handler: BrokerMessageHandler }> = [];
  respond: (topic: string, payload: string) => void = () => undefined;
  subscribe(filter: string, handler: BrokerMessageHandler): () => void {
    const entry = { filter, handler };
    this.subs.push(entry);
    return () => {
      this.subs = this.subs.filter((s) => s !== entry);
    };
  }
  /** Retained messages with the login that published each (null: the gateway's own), as GatewayBroker keeps them. */
  readonly kept = new Map<string, { payload: Buffer; owner: string | null }>();
  /** A device's publish, as the login `deviceId`; a retained one is kept (an empty one clears). */
  publish(topic: string, payload: unknown, deviceId: string, options: { retain?: boolean } = {}): void {
    const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    if (options.retain) this.keep(topic, body, deviceId);
    for (const s of [...this.subs]) if (topicMatches(s.filter, topic)) void s.handler(topic, body, deviceId, undefined, deviceId);
  }
  keep(topic: string, payload: Buffer, owner: string | null): void {
    if (payload.length === 0) this.kept.delete(topic);
    else this.kept.set(topic, { payload, owner });
  }
  async *retained(filter: string): AsyncIterable<{ topic: string; payload: Buffer; owner: string | null }> {
    for (const [topic, m] of this.kept) if (topicMatches(filter, topic)) yield { topic, ...m };
  }
}
