// The /ws wire format: frames the hub sends and the parser for what a client may send. A client
// message is untrusted input: it is parsed into a typed value here or answered with E_BAD_REQUEST.

import { EVENT_TOPICS, type EventTopic, type HubEvent } from './hub-event.ts';

/** Close codes beyond the standard ones (docs/api.md, "Event stream"). */
export const CLOSE_AUTH_FAILED = 4001;
export const CLOSE_SLOW_CONSUMER = 4008;
/** The user already holds their most streams (hub config maxStreamsPerUser). */
export const CLOSE_TOO_MANY_STREAMS = 4029;
/** The hub holds its most streams (maxStreams): the standard "try again later". */
export const CLOSE_TRY_AGAIN_LATER = 1013;

export type ServerMessage =
  | { type: 'hello'; lastId: number }
  | { type: 'pong' }
  | { type: 'error'; code: 'E_BAD_REQUEST'; message: string };

export type ClientMessage = { type: 'subscribe'; topics: EventTopic[] } | { type: 'ping' };

export type ParsedClientMessage = { ok: true; message: ClientMessage } | { ok: false; message: string };

/**
 * One event as the frame every subscriber of its org receives, encoded once per event however many
 * clients get it. The event's own type travels as `event`: `type` is the frame's kind ('event').
 */
export function eventFrame(event: HubEvent): Buffer {
  return Buffer.from(JSON.stringify({ type: 'event', id: event.id, topic: event.topic, event: event.type, ts: event.ts, data: event.data, ...(event.ephemeral ? { ephemeral: true } : {}) }));
}

export function serverFrame(message: ServerMessage): string {
  return JSON.stringify(message);
}

/** `text` is null for a binary frame, which the protocol does not use. */
export function parseClientMessage(text: string | null): ParsedClientMessage {
  if (text === null) return { ok: false, message: 'binary frames are not accepted; send JSON text' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'message must be a JSON object with a "type"' };
  const record = value as Record<string, unknown>;
  switch (record.type) {
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    case 'subscribe': {
      const topics = record.topics;
      if (!Array.isArray(topics) || topics.length === 0) return { ok: false, message: `subscribe: topics must be a non-empty array of ${EVENT_TOPICS.join(', ')}` };
      const unknown = topics.find((t) => typeof t !== 'string' || !(EVENT_TOPICS as readonly string[]).includes(t));
      if (unknown !== undefined) return { ok: false, message: `subscribe: unknown topic ${JSON.stringify(unknown)}; topics are ${EVENT_TOPICS.join(', ')}` };
      return { ok: true, message: { type: 'subscribe', topics: [...new Set(topics as EventTopic[])] } };
    }
    default:
      return { ok: false, message: `unknown message type ${JSON.stringify(record.type ?? null)}; expected subscribe or ping` };
  }
}
