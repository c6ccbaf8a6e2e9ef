// The traffic the uplink tests send: message n comes from one of three sources (two JSON sensors
// and a mesh node whose frames are binary), and carries n so the hub side can check that nothing
// is missing and that each source's messages arrive in order.

import type { NewHubMessage } from '../../src/uplink/hub-outbox.ts';
import type { HubEnvelope } from '@unibos/mesh-protocol';

export const SOURCES = ['sensor:k1', 'sensor:k2', 'mesh:!0000beef'] as const;

export function trafficMessage(n: number, gatewayId: string): NewHubMessage {
  const source = SOURCES[n % SOURCES.length]!;
  if (source.startsWith('mesh:')) {
    // Starts with 0x00, so it is never mistaken for JSON: it travels in the binary envelope.
    const frame = Buffer.alloc(9);
    frame.writeUInt32BE(n, 1);
    frame.writeUInt32BE(0xbeef, 5);
    return { source, topic: `unibos/v1/gw/${gatewayId}/rx`, payload: frame };
  }
  return { source, topic: `unibos/v1/sensor/${source.slice(7)}/temp`, payload: JSON.stringify({ n, c: 20 + (n % 10) }) };
}

/** The n a message carries, whichever envelope it came in. */
export function trafficNumber(envelope: HubEnvelope): number {
  if (envelope.format === 'binary') return Buffer.from(envelope.body).readUInt32BE(1);
  return (envelope.body as { n: number }).n;
}

/** Sources whose messages (first arrivals) are not in increasing n order. */
export function outOfOrderSources(envelopes: readonly HubEnvelope[]): string[] {
  const last = new Map<string, number>();
  const bad = new Set<string>();
  for (const e of envelopes) {
    const n = trafficNumber(e);
    if ((last.get(e.source) ?? -1) >= n) bad.add(e.source);
    last.set(e.source, n);
  }
  return [...bad];
}
