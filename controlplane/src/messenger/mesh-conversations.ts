// End-to-end encrypted direct messages between hub users' messenger devices and mesh nodes. The hub
// only carries sealed bytes: a device seals for the node (messenger-crypto's MeshDirectEndpoint),
// the hub hands the `direct` tx command to the gateway that heard the node last (the same tx path
// and txstatus as texts, followed through Downlink), keeps the ciphertext in the sender's own
// history, and files a node's `direct` frame addressed to a device's virtual mesh address in that
// device's inbox (kind 'mesh'). A device's virtual address is the hash of its X25519 identity key,
// the same rule that makes a node's id.

import { randomUUID } from 'node:crypto';
import { GATEWAY_TX_REASONS, MESH_DIRECT_MAX_BYTES, type MessengerMessageEvent, type NodeIdText } from '@unibos/mesh-protocol';
import { meshNodeAddress, meshNodeIdFromPublicKey } from '@unibos/messenger-crypto';
import type { Counter } from 'prom-client';
import type { GatewayLink } from '../broker/gateway-link.ts';
import type { EventSink } from '../events/hub-event.ts';
import type { Fleet } from '../fleet/fleet.ts';
import { HubError, notFound } from '../hub-error.ts';
import type { MeshUplink } from '../ingest/mesh-uplink.ts';
import type { DownlinkFollower, TxStatusReport } from '../messages/downlink.ts';
import type { RecordStore } from '../records/record-store.ts';
import type { DeviceDirectory, MessengerDevice } from './device-directory.ts';
import type { DeliveryView, MailboxStore } from './mailbox-store.ts';
import type { MeshConversationStore, MeshOutgoing, MeshSendStatus } from './mesh-conversation-store.ts';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ADDRESS = /^![0-9a-f]{8}$/;
/** A node asked for its NodeInfo (to learn its key) at most this often, however often users look. */
const KEY_REQUEST_EVERY_MS = 60_000;

export const MESH_DROP_REASONS = ['bad_payload', 'unknown_device', 'own_echo'] as const;
export type MeshDropReason = (typeof MESH_DROP_REASONS)[number];

export interface MeshConversationsDeps {
  store: MeshConversationStore;
  mailbox: MailboxStore;
  directory: Pick<DeviceDirectory, 'activeDevice' | 'activeDevicesOfOrg'>;
  events: Pick<EventSink, 'append'>;
  fleet: { store: Pick<Fleet['store'], 'get'>; gatewaysReaching: Fleet['gatewaysReaching']; credentials: Pick<Fleet['credentials'], 'publicKeys'> };
  records: Pick<RecordStore, 'query'>;
  link: Pick<GatewayLink, 'isConnected' | 'publishTx'>;
  dropped: Counter<'reason'>;
  now: () => number;
  /** Runs `fn` as one database transaction (the mailbox and the mesh store share the hub's database). */
  atomically: <T>(fn: () => T) => T;
}

export interface MeshSent {
  id: string;
  conversationId: string;
  nodeId: string;
  sentAt: string;
  status: MeshSendStatus;
  duplicate: boolean;
}

/** A mesh conversation's message as one device's history shows it, with how far an outgoing one got. */
export type MeshHistoryItem = DeliveryView & { status?: MeshSendStatus; error?: string | null };

export class MeshConversations implements DownlinkFollower {
  private readonly keyRequested = new Map<string, number>();

  constructor(private readonly d: MeshConversationsDeps) {}

  /** The node's X25519 identity key as the hub knows it: proved at its claim, else from its NodeInfo (checked against its id). */
  nodeKey(orgId: string, nodeId: NodeIdText): { nodeId: string; publicKey: string; source: 'claim' | 'nodeinfo' } {
    if (!this.d.fleet.store.get(orgId, nodeId)) throw notFound(`node ${nodeId} (no gateway of this org has heard it)`);
    const id = parseInt(nodeId.slice(1), 16);
    const claimed = this.d.fleet.credentials.publicKeys(orgId, nodeId)?.x25519;
    if (claimed && meshNodeIdFromPublicKey(claimed) === id) return { nodeId, publicKey: claimed.toString('base64url'), source: 'claim' };
    for (const r of this.d.records.query(orgId, { nodeId, kind: 'info', limit: 20 })) {
      const key = typeof r.data.publicKey === 'string' ? Buffer.from(r.data.publicKey, 'base64') : null;
      // A key that does not hash to the node's id is someone else's: never hand it out.
      if (key && key.length === 32 && meshNodeIdFromPublicKey(key) === id) return { nodeId, publicKey: key.toString('base64url'), source: 'nodeinfo' };
    }
    const asked = this.askForKey(orgId, nodeId);
    throw new HubError('E_NOT_FOUND', `the hub has no identity key for ${nodeId} yet (it was not claimed with one and no NodeInfo with a key was heard); ${asked ? 'the node was asked for its NodeInfo: try again in a minute' : 'no gateway that heard it is connected to ask it for its NodeInfo'}`);
  }

  /** The caller's conversations with nodes (one per node), newest first, with the node's name as the fleet knows it. */
  list(orgId: string, userId: string): Array<{ id: string; kind: 'mesh'; nodeId: string; name: string | null; createdAt: string }> {
    return this.d.store.conversationsOf(orgId, userId).map((c) => ({ id: c.id, kind: 'mesh' as const, nodeId: c.nodeId, name: this.d.fleet.store.get(orgId, c.nodeId)?.name ?? null, createdAt: c.createdAt }));
  }

  send(orgId: string, userId: string, nodeId: NodeIdText, input: { senderDevice: string; sealed: string; clientId?: string }): MeshSent {
    const device = this.d.directory.activeDevice(orgId, input.senderDevice);
    if (!device || device.userId !== userId) throw new HubError('E_FORBIDDEN', 'senderDevice is not one of your active messenger devices');
    const clientId = input.clientId ?? randomUUID();
    const earlier = this.d.mailbox.byClientId(device.id, clientId);
    if (earlier) {
      if (earlier.kind !== 'mesh' || earlier.target !== nodeId) throw new HubError('E_CONFLICT', 'this clientId was already used for another message');
      return { id: earlier.id, conversationId: earlier.conversationId, nodeId, sentAt: earlier.sentAt, status: this.d.store.outgoing(earlier.id)?.status ?? 'queued', duplicate: true };
    }
    const bytes = sealedBytes(input.sealed);
    if (bytes === null) {
      this.d.dropped.inc({ reason: 'bad_payload' });
      throw new HubError('E_BAD_REQUEST', `sealed must be 1..${MESH_DIRECT_MAX_BYTES} bytes of canonical unpadded base64url (a mesh direct message from messenger-crypto)`);
    }
    if (!this.d.fleet.store.get(orgId, nodeId)) throw notFound(`node ${nodeId} (no gateway of this org has heard it)`);
    const nowMs = this.d.now();
    const gateways = this.d.fleet.gatewaysReaching(orgId, nodeId, nowMs);
    if (gateways.length === 0) throw new HubError('E_UNAVAILABLE', `no gateway has heard ${nodeId} recently; nothing can reach it`);
    const id = randomUUID();
    // The history row and the outgoing row together or not at all: a crash between them would leave
    // a message in the sender's history that nothing ever sends, and its resend answered "queued".
    const { conversationId, stored } = this.d.atomically(() => {
      const conversationId = this.d.store.conversationId(orgId, userId, nodeId, randomUUID(), nowMs);
      // The sender's own copy is its history (it cannot open its own sealed bytes: the client keeps the text).
      const stored = this.d.mailbox.store({
        id, orgId, conversationId, senderUser: userId, senderDevice: device.id, clientId, kind: 'mesh', target: nodeId,
        sentMs: nowMs, expiresMs: null, ciphertext: input.sealed, bytes, recipients: [{ deviceId: device.id, envelope: null }], attachments: [],
      });
      this.d.store.addOutgoing({ id, orgId, nodeId, sender: virtualAddress(device), sealed: input.sealed, gateways, nowMs });
      return { conversationId, stored };
    });
    this.dispatch(orgId, this.d.store.outgoing(id)!);
    return { id, conversationId, nodeId, sentAt: stored.sentAt, status: this.d.store.outgoing(id)!.status, duplicate: false };
  }

  /** The device's copies in its conversation with the node, newest first, outgoing ones with their state. */
  history(orgId: string, userId: string, nodeId: NodeIdText, deviceId: string, limit: number, beforeSeq?: number): { conversationId: string | null; items: MeshHistoryItem[]; nextCursor: string | null } {
    const device = this.d.directory.activeDevice(orgId, deviceId);
    if (!device || device.userId !== userId) throw notFound('messenger device');
    // A node of another org (or of none) is missing, as on every other route; one of ours may just have no messages yet.
    if (!this.d.fleet.store.get(orgId, nodeId)) throw notFound(`node ${nodeId} (no gateway of this org has heard it)`);
    const conversationId = this.d.store.existingConversationId(orgId, userId, nodeId);
    if (!conversationId) return { conversationId: null, items: [], nextCursor: null };
    const items: MeshHistoryItem[] = this.d.mailbox.history(deviceId, conversationId, limit, this.d.now(), beforeSeq).map((row) => {
      const out = row.senderDevice === deviceId ? this.d.store.outgoing(row.messageId) : null;
      return out ? { ...row, status: out.status, error: out.error } : row;
    });
    return { conversationId, items, nextCursor: items.length === limit ? String(items[items.length - 1]!.seq) : null };
  }

  /** A `direct` frame heard from the mesh: into the inbox of the device it is addressed to. */
  heard(orgId: string, frame: MeshUplink): void {
    const direct = frame.doc.direct as { sender?: unknown; sealed?: unknown } | null | undefined;
    const to = frame.doc.to;
    if (typeof direct !== 'object' || direct === null || typeof direct.sender !== 'string' || !ADDRESS.test(direct.sender) || typeof direct.sealed !== 'string' || typeof to !== 'string') {
      return this.drop('bad_payload');
    }
    const bytes = sealedBytes(direct.sealed);
    if (bytes === null) return this.drop('bad_payload');
    const devices = this.d.directory.activeDevicesOfOrg(orgId);
    // Our own message to a node, heard again by another gateway: already in its sender's history.
    if (devices.some((dev) => virtualAddress(dev) === direct.sender)) return this.drop('own_echo');
    const device = devices.find((dev) => virtualAddress(dev) === to);
    if (!device) return this.drop('unknown_device');
    const sender = direct.sender as NodeIdText;
    const clientId = `mesh:${frame.nodeId}:${frame.packetId}:${frame.timeMs}`;
    if (this.d.mailbox.byClientId(sender, clientId)) return;
    const nowMs = this.d.now();
    const conversationId = this.d.store.conversationId(orgId, device.userId, sender, randomUUID(), nowMs);
    const m = this.d.mailbox.store({
      id: randomUUID(), orgId, conversationId, senderUser: sender, senderDevice: sender, clientId, kind: 'mesh', target: sender,
      sentMs: frame.timeMs, expiresMs: null, ciphertext: direct.sealed, bytes, recipients: [{ deviceId: device.id, envelope: null }], attachments: [],
    });
    const data: MessengerMessageEvent = { conversationId, messageId: m.id, senderUser: sender, senderDevice: sender, kind: 'mesh', target: sender, sentAt: m.sentAt, expiresAt: null };
    this.d.events.append({ orgId, type: 'message.new', data, audience: [device.userId] });
  }

  /** A gateway connected: what waited for it goes out now. */
  gatewayConnected(orgId: string, gatewayId: string): void {
    for (const m of this.d.store.queued(orgId)) if (m.gateways.includes(gatewayId)) this.dispatch(orgId, m);
  }

  txStatus(orgId: string, report: TxStatusReport): void {
    const m = this.d.store.outgoing(report.ref);
    if (!m || m.orgId !== orgId || m.status === 'delivered' || !m.gateways.includes(report.gatewayId)) return;
    if (report.status === 'queued' && report.packetId !== undefined) this.setStatus(m, 'sent', { packetId: report.packetId });
    else if (report.status === 'refused') this.setStatus(m, 'failed', { error: report.error ?? GATEWAY_TX_REASONS.refused });
  }

  ack(orgId: string, from: string, packetId: number, error: string | null): void {
    const m = this.d.store.sentAs(orgId, packetId);
    // Only the addressee's acknowledgement says the node has it.
    if (!m || m.nodeId !== from) return;
    // A node that could not open it answers NOT_OPENED after its radio's ack: delivered, then failed.
    // No other error undoes "delivered" (its radio acknowledged it).
    if (!error || error === 'NONE') {
      if (m.status !== 'delivered') this.setStatus(m, 'delivered');
    } else if (m.status !== 'delivered' || error === 'NOT_OPENED') this.setStatus(m, 'failed', { error });
  }

  /** Records how far `m` got and tells its sender's devices at once (their thread shows it). */
  private setStatus(m: MeshOutgoing, status: MeshSendStatus, extra: { packetId?: number; error?: string } = {}): void {
    this.d.store.setStatus(m.id, status, this.d.now(), extra);
    const device = this.d.directory.activeDevicesOfOrg(m.orgId).find((dev) => virtualAddress(dev) === m.sender);
    // A device revoked since has nobody to tell.
    if (!device) return;
    const data = { nodeId: m.nodeId as NodeIdText, messageId: m.id, status, error: extra.error ?? null };
    this.d.events.append({ orgId: m.orgId, type: 'messenger.mesh_status', data, audience: [device.userId] });
  }

  private dispatch(orgId: string, m: MeshOutgoing): void {
    const gateway = m.gateways.find((g) => this.d.link.isConnected(orgId, g));
    // No gateway connected: it stays queued here until one that heard the node connects.
    if (!gateway) return;
    this.d.link.publishTx(orgId, gateway, Buffer.from(JSON.stringify({ direct: { sender: m.sender, sealed: m.sealed }, to: m.nodeId, ref: m.id })));
  }

  /** Asks the node for its NodeInfo through a connected gateway that heard it; false when none can. */
  private askForKey(orgId: string, nodeId: string): boolean {
    const nowMs = this.d.now();
    const gateway = this.d.fleet.gatewaysReaching(orgId, nodeId, nowMs).find((g) => this.d.link.isConnected(orgId, g));
    if (!gateway) return false;
    const key = `${orgId}/${nodeId}`;
    if (nowMs - (this.keyRequested.get(key) ?? -Infinity) < KEY_REQUEST_EVERY_MS) return true;
    if (this.keyRequested.size > 10_000) this.keyRequested.clear();
    this.keyRequested.set(key, nowMs);
    this.d.link.publishTx(orgId, gateway, Buffer.from(JSON.stringify({ to: nodeId, nodeInfoRequest: true })));
    return true;
  }

  private drop(reason: MeshDropReason): void {
    this.d.dropped.inc({ reason });
  }
}

/** A device's mesh address: the hash of its X25519 identity key, as a node's id is made. */
export function virtualAddress(device: Pick<MessengerDevice, 'identityKey'>): string {
  return meshNodeAddress(meshNodeIdFromPublicKey(Buffer.from(device.identityKey, 'base64url')));
}

function sealedBytes(text: string): number | null {
  if (!BASE64URL.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length === 0 || bytes.length > MESH_DIRECT_MAX_BYTES || bytes.toString('base64url') !== text) return null;
  return bytes.length;
}
