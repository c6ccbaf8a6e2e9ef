// The messenger feature: end-to-end encrypted conversations relayed by the hub, which stores and
// forwards only ciphertext and the metadata it needs to route it (devices and their published
// keys, conversations and roles, per-device inboxes, encrypted attachments, expiry). Its events
// reach only the conversation's members. Shares `messenger` for tests and tools (the sweep).

import fp from 'fastify-plugin';
import { attachmentRoutes } from './attachment-routes.ts';
import { conversationRoutes } from './conversation-routes.ts';
import { ConversationStore } from './conversation-store.ts';
import { AttachmentStore } from './attachment-store.ts';
import { DeviceDirectory } from './device-directory.ts';
import { deviceRoutes } from './device-routes.ts';
import { ExpirySweeper } from './expiry-sweeper.ts';
import { MailboxStore } from './mailbox-store.ts';
import { MessageRelay } from './message-relay.ts';
import { messageRelayRoutes } from './message-relay-routes.ts';
import { MessengerConversations } from './messenger-conversations.ts';
import { MessengerDevices } from './messenger-devices.ts';
import { MessengerEvents } from './messenger-events.ts';
import { messengerMetrics } from './messenger-metrics.ts';
import { MeshConversationStore } from './mesh-conversation-store.ts';
import { MeshConversations } from './mesh-conversations.ts';
import { meshRoutes } from './mesh-routes.ts';

export interface Messenger {
  devices: MessengerDevices;
  conversations: MessengerConversations;
  relay: MessageRelay;
  mesh: MeshConversations;
}

declare module 'fastify' {
  interface FastifyInstance {
    messenger: Messenger;
  }
}

/** How often expired ciphertext is deleted (reads hide it from the moment it expires). */
const SWEEP_EVERY_MS = 30_000;
/** Largest attachments' worth of uploads one user may have in no message yet. */
const ATTACHMENTS_UNSENT_PER_USER = 4;
/** A send carries one envelope per recipient device: a big group's sender-key distribution is large. */
const SEND_BODY_LIMIT = 8 * 1024 * 1024;

export const messengerPlugin = fp(
  async (app) => {
    const { db, now, config } = app;
    const metrics = messengerMetrics(app.metrics);
    const directory = new DeviceDirectory(db);
    const store = new ConversationStore(db);
    const mailbox = new MailboxStore(db);
    // After the mailbox: its queries read the mailbox's attachment links.
    const attachments = new AttachmentStore(db, config.dataDir);
    const events = new MessengerEvents(app.events, store);
    const isOrgMember = (orgId: string, userId: string): boolean => app.auth.accounts.orgView(userId, orgId) !== null;
    const devices = new MessengerDevices({ directory, mailbox, events, metrics, isOrgMember, now });
    const conversations = new MessengerConversations({ store, directory, events, metrics, isOrgMember, now });
    // A user may hold a few attachments' worth of uploads not yet sent (a message with several files).
    const attachmentLimits = { maxUnsentBytes: ATTACHMENTS_UNSENT_PER_USER * config.messengerMaxAttachmentBytes, minFreeBytes: config.messengerMinFreeBytes };
    const relay = new MessageRelay({ mailbox, directory, conversations, attachments, attachmentLimits, events, metrics, now });
    // Direct messages with mesh nodes ride the downlink's tx path; the node's `direct` frames come in through ingest.
    const meshStore = new MeshConversationStore(db);
    // A node someone writes with stays in the fleet however many others are heard (its thread needs it).
    app.fleet.store.keepers.push((orgId, nodeId) => meshStore.hasConversationWith(orgId, nodeId));
    const mesh = new MeshConversations({ store: meshStore, mailbox, directory, events: app.events, fleet: app.fleet, records: app.records, link: app.gateways, dropped: metrics.meshDropped, now, atomically: (fn) => db.transaction(fn)() });
    app.downlink.follow(mesh);
    app.gateways.onConnected((orgId, gatewayId) => mesh.gatewayConnected(orgId, gatewayId));
    app.ingest.routeMeshKind('direct', ({ orgId }, frame) => mesh.heard(orgId, frame));
    app.decorate('messenger', { devices, conversations, relay, mesh });

    const log = app.log.child({ component: 'messenger' });
    const sweeper = new ExpirySweeper({ everyMs: SWEEP_EVERY_MS, sweep: () => relay.sweep(), onError: (err) => log.error({ err }, 'messenger: expiry sweep failed') });
    app.addHook('onReady', async () => sweeper.start());
    app.addHook('onClose', async () => sweeper.stop());

    const guard = app.guard;
    await app.register(deviceRoutes, { devices, guard });
    await app.register(conversationRoutes, { conversations, guard });
    await app.register(messageRelayRoutes, { relay, guard, sendBodyLimit: SEND_BODY_LIMIT });
    await app.register(meshRoutes, { mesh, guard });
    await app.register(attachmentRoutes, { relay, guard, metrics, maxBytes: config.messengerMaxAttachmentBytes });
  },
  {
    name: 'hub-messenger',
    dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-gateway-link', 'hub-fleet', 'hub-records', 'hub-messages'],
    decorators: { fastify: ['db', 'now', 'config', 'metrics', 'auth', 'guard', 'events', 'ingest', 'gateways', 'fleet', 'records', 'downlink'] },
  },
);
