// Raises the messenger's events to exactly their audience: a conversation's current members, or
// everyone who shares a conversation with a user. The event stream carries only ids and metadata;
// typing and presence are announced live and never stored.

import type { HubEventPayloads } from '@unibos/mesh-protocol';
import type { EventLog } from '../events/event-log.ts';
import type { ConversationStore } from './conversation-store.ts';

type StoredType = 'message.new' | 'message.edited' | 'message.deleted' | 'message.read' | 'messenger.devices_changed' | 'conversation.updated';
type LiveType = 'typing' | 'presence';

export class MessengerEvents {
  constructor(
    private readonly events: Pick<EventLog, 'append' | 'announce'>,
    private readonly conversations: ConversationStore,
  ) {}

  /** To the conversation's current members, plus `also` (e.g. a member just removed, told so). */
  toConversation<T extends StoredType>(orgId: string, conversationId: string, type: T, data: HubEventPayloads[T], also: readonly string[] = []): void {
    const audience = [...new Set([...this.conversations.members(conversationId).map((m) => m.userId), ...also])];
    this.events.append({ orgId, type, data, audience });
  }

  /** To the user and everyone who shares a conversation with them. */
  toPartners<T extends StoredType>(orgId: string, userId: string, type: T, data: HubEventPayloads[T]): void {
    this.events.append({ orgId, type, data, audience: this.partners(orgId, userId) });
  }

  liveToConversation<T extends LiveType>(orgId: string, conversationId: string, type: T, data: HubEventPayloads[T]): void {
    this.events.announce({ orgId, type, data, audience: this.conversations.members(conversationId).map((m) => m.userId) });
  }

  liveToPartners<T extends LiveType>(orgId: string, userId: string, type: T, data: HubEventPayloads[T]): void {
    this.events.announce({ orgId, type, data, audience: this.partners(orgId, userId) });
  }

  private partners(orgId: string, userId: string): string[] {
    return [...new Set([userId, ...this.conversations.partnersOf(orgId, userId)])];
  }
}
