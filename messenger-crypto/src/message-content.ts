// The plaintext inside a message, one definition for every client (web UI, CLI), so what one
// writes the others read. JSON in UTF-8 with a version; `kind` matches the contract's plaintext
// `kind` (which the hub sees), and the recipient checks the two agree so the hub cannot relabel
// an edit as a delete. 'sender-key' messages carry a sender key distribution instead.

import { utf8ToBytes } from '@noble/hashes/utils.js';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';

export interface AttachmentRef {
  /** The hub's id of the uploaded (encrypted) blob. */
  id: string;
  name: string;
  mime: string;
  /** From encryptAttachment: base64url key and digest, plaintext size. */
  key: string;
  digest: string;
  size: number;
}

export type MessageContent =
  | { kind: 'message'; text: string; replyTo?: string; attachments?: AttachmentRef[] }
  | { kind: 'edit'; text: string }
  | { kind: 'delete' }
  | { kind: 'reaction'; emoji: string; remove?: boolean }
  | { kind: 'read' }
  | { kind: 'typing'; active: boolean };

export type ContentKind = MessageContent['kind'];

const VERSION = 1;
const MAX_ATTACHMENTS = 10;
const MAX_SHORT = 200;

function bad(reason: string): never {
  throw new MessengerCryptoError('E_MESSAGE_MALFORMED', `message content: ${reason}`);
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

function shortString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_SHORT) bad(`${what} must be a string of 1..${MAX_SHORT} characters`);
  return v;
}

function text(v: unknown): string {
  if (typeof v !== 'string') bad('text must be a string');
  // Characters as users count them (code points), so an emoji is one, not two.
  const chars = [...v].length;
  if (chars > MESSENGER_LIMITS.maxTextChars) throw new MessengerCryptoError('E_TEXT_TOO_LONG', `a message holds at most ${MESSENGER_LIMITS.maxTextChars} characters; this one has ${chars}`);
  return v;
}

function attachment(v: unknown, i: number): AttachmentRef {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`attachments[${i}] must be an object`);
  const a = v as Record<string, unknown>;
  if (typeof a.size !== 'number' || !Number.isInteger(a.size) || a.size < 0 || a.size > MESSENGER_LIMITS.maxAttachmentBytes) bad(`attachments[${i}].size is out of range`);
  return { id: shortString(a.id, `attachments[${i}].id`), name: shortString(a.name, `attachments[${i}].name`), mime: shortString(a.mime, `attachments[${i}].mime`), key: shortString(a.key, `attachments[${i}].key`), digest: shortString(a.digest, `attachments[${i}].digest`), size: a.size };
}

/** Checks a content value (from a client or from the wire) and returns a clean copy. */
export function parseMessageContent(v: unknown): MessageContent {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('must be an object');
  const c = v as Record<string, unknown>;
  switch (c.kind) {
    case 'message': {
      const out: MessageContent = { kind: 'message', text: text(c.text) };
      if (c.replyTo !== undefined) out.replyTo = shortString(c.replyTo, 'replyTo');
      if (c.attachments !== undefined) {
        if (!Array.isArray(c.attachments) || c.attachments.length > MAX_ATTACHMENTS) bad(`attachments must be an array of at most ${MAX_ATTACHMENTS}`);
        out.attachments = c.attachments.map(attachment);
      }
      if (out.text.length === 0 && !out.attachments?.length) bad('a message needs text or an attachment');
      return out;
    }
    case 'edit':
      return { kind: 'edit', text: text(c.text) };
    case 'delete':
      return { kind: 'delete' };
    case 'read':
      return { kind: 'read' };
    case 'reaction': {
      const emoji = shortString(c.emoji, 'emoji');
      if ([...emoji].length > 16) bad('emoji must be one reaction');
      if (c.remove !== undefined && typeof c.remove !== 'boolean') bad('remove must be true or false');
      return c.remove ? { kind: 'reaction', emoji, remove: true } : { kind: 'reaction', emoji };
    }
    case 'typing':
      if (typeof c.active !== 'boolean') bad('active must be true or false');
      return { kind: 'typing', active: c.active };
    default:
      return bad(`unknown kind ${shown(c.kind)}`);
  }
}

/** The bytes to encrypt. Too long a text is refused with E_TEXT_TOO_LONG before anything is encrypted. */
export function encodeMessageContent(content: MessageContent): Uint8Array {
  return utf8ToBytes(JSON.stringify({ v: VERSION, ...parseMessageContent(content) }));
}

/** Reads decrypted bytes; `hubKind` is the plaintext kind the hub delivered with them, which must agree. */
export function decodeMessageContent(bytes: Uint8Array, hubKind?: string): MessageContent {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    bad('not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || (value as Record<string, unknown>).v !== VERSION) {
    throw new MessengerCryptoError('E_UNSUPPORTED_VERSION', `message content version ${shown((value as Record<string, unknown> | null)?.v)} is not supported`);
  }
  const content = parseMessageContent(value);
  if (hubKind !== undefined && hubKind !== content.kind) {
    throw new MessengerCryptoError('E_MESSAGE_MALFORMED', `the hub labelled this ${hubKind} but it is a ${content.kind}: refused`);
  }
  return content;
}
