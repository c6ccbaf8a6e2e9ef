// @unibos/messenger-client: the messenger's client side for the CLI and the browser alike.

export { MessengerClient, SIGNED_PREKEY_ROTATE_MS, type MessengerClientOptions, type Arrival, type SyncProblem, type SyncResult, type ConversationSummary, type SendOptions } from './messenger-client.ts';
export { MessengerClientError, type MessengerClientErrorCode } from './messenger-client-error.ts';
export { type MessengerStateStore, MemoryStateStore } from './state-store.ts';
export { IndexedDbStateStore, canSealState } from './indexed-db-state-store.ts';
export { type HistoryMessage, type HistoryView, type MembershipChange, type MembershipEntry, type TimelineEntry } from './local-history.ts';
export { type AttachmentRef } from './message-content.ts';
export { type HubConversation, type HubDevice, type OrgMember, type InboxRow } from './hub-api.ts';
export { type UserTrustStatus } from './user-key-pins.ts';
export { type FollowHandle, type WebSocketFactory, type WebSocketLike } from './hub-event-follower.ts';
// The limits every hub holds clients to (e.g. devices per user), for a UI to name them.
export { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
