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
  /** A device's publish, as the login `deviceId`. */
  publish(topic: string, payload: unknown, deviceId: string): void {
    const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    for (const s of [...this.subs]) if (topicMatches(s.filter, topic)) void s.handler(topic, body, deviceId, undefined, deviceId);
  }
}
