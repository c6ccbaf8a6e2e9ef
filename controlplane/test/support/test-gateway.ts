// A gateway's hub side for tests: claims a gateway on the hub through the API, then speaks to the
// hub broker with the gateway's real durable uplink (HubOutbox + HubUplink from @unibos/gateway),
// so what reaches the hub is exactly what a running gateway sends.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pino from 'pino';
import { HubOutbox, HubUplink, openGatewayDb } from '@unibos/gateway';
import type { TestHub } from './test-hub.ts';
import type { TestSession } from './test-auth.ts';
import { proveAndClaim, testIdentity, type TestIdentity } from './test-identity.ts';

export interface MeshMeta {
  packetId: number;
  rssi?: number;
  snr?: number;
  hops?: number;
  /** When the gateway heard it, by its clock: a time before now was heard then and held since (the envelope's `held` says so). */
  rxTime?: string;
  /** rxTime is what the gateway's wrong clock said when it heard the frame just now (held 0). */
  wrongClock?: boolean;
  to?: string;
}

/** Claims `device` (a new identity unless given) in the session's org, proving possession as a device does. */
export async function claimDevice(hub: TestHub, session: TestSession, kind: 'gateway' | 'node', device: TestIdentity = testIdentity(), name?: string): Promise<Record<string, unknown>> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` };
  const t = await fetch(`${hub.url}/api/v1/claim-tokens`, { method: 'POST', headers, body: JSON.stringify({ kind, ...(name ? { name } : {}) }) });
  if (t.status !== 201) throw new Error(`claim token: ${t.status} ${await t.text()}`);
  const { token } = (await t.json()) as { token: string };
  const c = await proveAndClaim(hub.url, token, device);
  if (c.status !== 201) throw new Error(`claim: ${c.status} ${JSON.stringify(c.body)}`);
  return c.body;
}

export class TestGateway {
  readonly downlinks: Array<Record<string, unknown>> = [];
  /** The hub asking for unnamed nodes' NodeInfo (fleet/node-name-requests.ts): kept apart from messages and SOS stages. */
  readonly nameRequests: string[] = [];
  private readonly waiters: Array<() => void> = [];

  private constructor(
    readonly id: string,
    readonly outbox: HubOutbox,
    readonly uplink: HubUplink,
    /** How long ago the frame being queued was heard: the outbox's monotonic clock is set back by it while it is queued. */
    private readonly heardAgo: { ms: number },
  ) {
    uplink.onDownlink((_topic, payload) => {
      const command = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      if (command.nodeInfoRequest === true) this.nameRequests.push(String(command.to));
      else this.downlinks.push(command);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Claims a gateway (a new identity unless given) in the session's org and connects its uplink; waits until connected. */
  static async connect(hub: TestHub, session: TestSession, device: TestIdentity = testIdentity()): Promise<TestGateway> {
    const id = device.id;
    const claim = (await claimDevice(hub, session, 'gateway', device)) as { mqtt: { url: string; username: string; password: string } };
    const dir = mkdtempSync(join(tmpdir(), 'unibos-test-gw-'));
    const db = openGatewayDb(dir);
    const heardAgo = { ms: 0 };
    const outbox = new HubOutbox(db, {
      logger: pino({ level: 'silent' }),
      // A frame given an earlier rxTime was heard then and held since, as a real gateway says (the
      // envelope's `held`): the hub checks a gateway's clock against it.
      monotonic: () => performance.now() - heardAgo.ms,
    });
    const uplink = new HubUplink({ url: claim.mqtt.url, username: claim.mqtt.username, password: claim.mqtt.password, gatewayId: id, outbox, logger: pino({ level: 'silent' }), reconnectMinMs: 100 });
    const gw = new TestGateway(id, outbox, uplink, heardAgo);
    const connected = new Promise<void>((resolve) => {
      const off = uplink.onState((s) => {
        if (s === 'connected') {
          off();
          resolve();
        }
      });
    });
    uplink.start();
    after(async () => {
      await uplink.stop({ timeoutMs: 1000 });
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await connected;
    return gw;
  }

  /** What the gateway's bridge uplinks for a heard frame: the mesh JSON on mesh/{node}/{kind}. */
  mesh(from: string, kind: string, body: Record<string, unknown>, meta: MeshMeta): void {
    const doc = { from, to: meta.to ?? 'broadcast', id: meta.packetId, hops: meta.hops ?? 0, rssi: meta.rssi ?? -90, snr: meta.snr ?? 5, rxTime: meta.rxTime ?? new Date().toISOString(), gatewayId: this.id, ...body };
    const ago = meta.rxTime && !meta.wrongClock ? Date.now() - Date.parse(meta.rxTime) : 0;
    this.heardAgo.ms = Number.isFinite(ago) && ago > 0 ? ago : 0;
    try {
      this.outbox.add({ source: `mesh:${from}`, topic: `unibos/v1/mesh/${from}/${kind}`, payload: JSON.stringify(doc) });
    } finally {
      this.heardAgo.ms = 0;
    }
  }

  sensor(sensorId: string, metric: string, payload: string): void {
    this.outbox.add({ source: `sensor:${sensorId}`, topic: `unibos/v1/sensor/${sensorId}/${metric}`, payload });
  }

  txStatus(report: Record<string, unknown>): void {
    this.outbox.add({ source: 'gateway', topic: `unibos/v1/gw/${this.id}/txstatus`, payload: JSON.stringify(report) });
  }

  /** Resolves once the hub has asked for the NodeInfo of `nodeId`. */
  async nameRequested(nodeId: string): Promise<void> {
    while (!this.nameRequests.includes(nodeId)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves with the next downlink command (or one already received and not yet taken). */
  async nextDownlink(): Promise<Record<string, unknown>> {
    while (this.downlinks.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.downlinks.shift()!;
  }
}
