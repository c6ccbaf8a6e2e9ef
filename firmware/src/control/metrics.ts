// Prometheus metrics for one node process: Node's own process metrics plus the mesh figures an
// operator graphs (frames, drops by reason, channel use, outbox depth, peers), read at scrape time.
// Imported only where metrics are served (control-server.ts), so prom-client stays unloaded otherwise.

import { Registry, collectDefaultMetrics, type Gauge } from 'prom-client';
import { sosStageRank } from '@unibos/mesh-protocol';
import type { Device } from '../node/device.ts';
import { scrapedGauge } from './scraped-gauge.ts';

export function createNodeMetrics(device: Device): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'unibos_node_' });
  const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []) => scrapedGauge(registry, name, help, read, labelNames);
  gauge('unibos_mesh_frames_sent', 'Frames this node put on air (own, relays, acks, beacons)', (g) => g.set(device.router.stats.txFrames));
  gauge('unibos_mesh_frames_received', 'Frames the radio received', (g) => g.set(device.router.stats.rxFrames));
  gauge('unibos_mesh_delivered', 'Frames delivered to this node', (g) => g.set(device.router.stats.delivered));
  gauge('unibos_mesh_relayed', 'Frames this node relayed', (g) => g.set(device.router.stats.relaysSent));
  gauge(
    'unibos_mesh_drops',
    'Frames dropped, by reason',
    (g) => {
      for (const [reason, n] of device.router.stats.drops) g.set({ reason }, n);
    },
    ['reason'],
  );
  gauge(
    'unibos_private_messages_unreadable',
    'Private messages to this node that could not be opened (stored as "could not decrypt"), by error code',
    (g) => {
      for (const [code, n] of device.privateMessages.failures) g.set({ code }, n);
    },
    ['code'],
  );
  gauge('unibos_mesh_channel_utilization_percent', 'Share of the last minute the channel was busy', (g) => g.set(device.router.utilization.percent()));
  gauge('unibos_mesh_tx_backlog', 'Frames waiting for the radio', (g) => g.set(device.router.txBacklog));
  gauge('unibos_outbox_queued', 'Own messages stored, not yet sent or acknowledged', (g) => g.set(device.outbox.size));
  gauge('unibos_outbox_max_messages', 'Own messages the outbox keeps at most (SOS messages may go past it)', (g) => g.set(device.outbox.maxMessages));
  gauge(
    'unibos_outbox_dropped_total',
    'Own messages that left the outbox without being sent, since start, by reason (evicted: pushed out of a full outbox; undecodable; router-refused; gave-up: unacknowledged after the maximum attempts)',
    (g) => {
      for (const [reason, n] of Object.entries(device.outbox.dropped)) g.set({ reason }, n);
    },
    ['reason'],
  );
  gauge('unibos_outbox_refused_full_total', 'New messages refused since start because the outbox was full (E_OUTBOX_FULL)', (g) => g.set(device.outbox.refusedFull));
  gauge('unibos_peers', 'Nodes in the node database', (g) => g.set(device.peers.all().length));
  gauge('unibos_radio_ready', '1 while the radio can send', (g) => g.set(device.status().radio.state === 'ready' ? 1 : 0));
  gauge('unibos_sos_safe_pending', '1 while our "I am safe" is resent, waiting for the hub to say resolved', (g) => g.set(device.sosStatus.safe === 'waiting' ? 1 : 0));
  gauge('unibos_sos_safe_given_up_total', '"I am safe" given up on without an answer from the hub (after a day or the copy limit)', (g) => g.set(device.sosStatus.safeGiveUps));
  gauge('unibos_sos_pending', '1 while our SOS is resent, waiting for a gateway to take it', (g) => g.set(device.sosStatus.resending ? 1 : 0));
  gauge('unibos_sos_stage', 'How far our SOS got: 0 none, 1 sent, 2 gateway, 3 hub, 4 acknowledged, 5 resolved', (g) => {
    const stage = device.sosStatus.stage;
    g.set(stage === 'none' ? 0 : sosStageRank(stage) + 1);
  });
  return registry;
}
