// What travels inside the ciphertext: the text, reply, edit, delete, reaction, read receipt and
// expiry, as versioned JSON. The hub sees only the contract's plaintext `kind` and `target`; the
// content repeats both with the conversation id, so a hub that moves an envelope to another
// conversation or relabels it is caught when it is opened.

import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { MessengerClientError } from './messenger-client-error.ts';

export interface AttachmentRef {
  /** The hub's id of the encrypted blob. */
  id: string;
  /** base64url key that opens it and SHA-256 of the blob (messenger-crypto's AttachmentKey): they exist only inside messages. */
  key: string;
  digest: string;
  name: string;
  mimeType: string;
  bytes: number;
}

/**
 * The conversation as its sender knows it, sealed in: its kind, and a DM's two people. A hub that
 * shows a receiver the DM as a group (to add a reader before the receiver's first look) is caught
 * when the receiver opens the sender's message. Absent in content from clients before it.
 */
export interface ConversationShape {
  kind: 'direct' | 'group' | 'channel';
  /** A DM's two user ids, sorted. */
  pair?: string[];
}

export type MessageContent = (
  | { type: 'text'; conversationId: string; text: string; replyTo?: string; expiresAt?: string; attachment?: AttachmentRef }
  | { type: 'edit'; conversationId: string; target: string; text: string }
  | { type: 'delete'; conversationId: string; target: string }
  | { type: 'reaction'; conversationId: string; target: string; emoji: string }
  | { type: 'read'; conversationId: string; target: string }
) & { shape?: ConversationShape };

/** The contract's plaintext kind of each content type. */
export const KIND_OF: Record<MessageContent['type'], 'message' | 'edit' | 'delete' | 'reaction' | 'read'> = {
  text: 'message',
  edit: 'edit',
  delete: 'delete',
  reaction: 'reaction',
  read: 'read',
};

const MAX_EMOJI_CHARS = 16;

export function checkText(text: string): void {
  if (text.length === 0) throw new MessengerClientError('E_BAD_REQUEST', 'a message needs some text (or an attachment)');
  if ([...text].length > MESSENGER_LIMITS.maxTextChars) throw new MessengerClientError('E_TEXT_TOO_LONG', `a message is at most ${MESSENGER_LIMITS.maxTextChars} characters; this one has ${[...text].length}`);
}

export function encodeContent(c: MessageContent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, ...c }));
}

function bad(reason: string): MessengerClientError {
  return new MessengerClientError('E_CONTENT_MALFORMED', `the decrypted message is malformed: ${reason}`);
}

/** Content nests three levels (the content, its shape, the shape's pair); deeper is no client's. */
const MAX_DEPTH = 16;

/** Whether a parsed value nests deeper than `limit` objects and arrays, found without recursion. */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * A sender's value named in a reason: a string quoted and cut short, a number, boolean or null as
 * it is, an array or object by its type only (never serialised: it may nest too deep to be).
 */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v !== 'object' || v === null) return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

function str(r: Record<string, unknown>, key: string, optional = false): string | undefined {
  const v = r[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') throw bad(`${key} is not a string`);
  return v;
}

/**
 * Parses decrypted bytes into a content value, or throws E_CONTENT_MALFORMED, whatever the bytes:
 * a sender's message that throws anything else would stop the receiver's sync at it for ever.
 */
export function decodeContent(bytes: Uint8Array): MessageContent {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('not UTF-8 JSON');
  }
  try {
    return checked(value);
  } catch (err) {
    if (err instanceof MessengerClientError) throw err;
    throw bad(`it could not be read (${err instanceof Error ? err.name : typeof err})`);
  }
}

function checked(value: unknown): MessageContent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('not an object');
  if (deeperThan(value, MAX_DEPTH)) throw bad(`nested more than ${MAX_DEPTH} levels deep`);
  const r = value as Record<string, unknown>;
  if (r.v !== 1) throw bad(`unsupported version ${shown(r.v)}`);
  const conversationId = str(r, 'conversationId')!;
  const content = body(r, conversationId);
  if (r.shape !== undefined) content.shape = shape(r.shape);
  return content;
}

function shape(v: unknown): ConversationShape {
  const s = v as Record<string, unknown> | null;
  if (typeof s !== 'object' || s === null || (s.kind !== 'direct' && s.kind !== 'group' && s.kind !== 'channel')) throw bad('shape is not a conversation kind');
  if (s.kind !== 'direct') return { kind: s.kind };
  const pair = s.pair;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((u) => typeof u === 'string')) throw bad("a direct conversation's shape names its two people");
  return { kind: 'direct', pair: [...(pair as string[])].sort() };
}

function body(r: Record<string, unknown>, conversationId: string): MessageContent {
  switch (r.type) {
    case 'text': {
      const text = str(r, 'text')!;
      if ([...text].length > MESSENGER_LIMITS.maxTextChars) throw bad('the text is too long');
      const out: MessageContent = { type: 'text', conversationId, text };
      const replyTo = str(r, 'replyTo', true);
      const expiresAt = str(r, 'expiresAt', true);
      if (replyTo !== undefined) out.replyTo = replyTo;
      if (expiresAt !== undefined) {
        if (!Number.isFinite(Date.parse(expiresAt))) throw bad('expiresAt is not a time');
        out.expiresAt = expiresAt;
      }
      if (r.attachment !== undefined) out.attachment = attachment(r.attachment);
      return out;
    }
    case 'edit': {
      const text = str(r, 'text')!;
      if ([...text].length > MESSENGER_LIMITS.maxTextChars) throw bad('the text is too long');
      return { type: 'edit', conversationId, target: str(r, 'target')!, text };
    }
    case 'delete':
    case 'read':
      return { type: r.type, conversationId, target: str(r, 'target')! };
    case 'reaction': {
      const emoji = str(r, 'emoji')!;
      if ([...emoji].length > MAX_EMOJI_CHARS) throw bad('a reaction is a short emoji');
      return { type: 'reaction', conversationId, target: str(r, 'target')!, emoji };
    }
    default:
      throw bad(`unknown type ${shown(r.type)}`);
  }
}

function attachment(v: unknown): AttachmentRef {
  if (typeof v !== 'object' || v === null) throw bad('attachment is not an object');
  const a = v as Record<string, unknown>;
  const bytes = a.bytes;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > MESSENGER_LIMITS.maxAttachmentBytes) throw bad('attachment.bytes is not a size');
  return { id: str(a, 'id')!, key: str(a, 'key')!, digest: str(a, 'digest')!, name: str(a, 'name')!, mimeType: str(a, 'mimeType')!, bytes };
}
