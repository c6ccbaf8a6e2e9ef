// Node ids, spelled one way: `!` and 8 lowercase hex digits, as people, JSON documents, the hub's
// API and MQTT topics write them. The mesh carries the number (u32); this is the one place that
// turns one into the other. (A gateway's MQTT identity is the same 8 digits without the `!`: an
// MQTT user name; only the topic module and the broker edges spell it that way.)

import { BROADCAST } from '../frame/header.ts';

/** `!1a2b3c4d`. */
export type NodeIdText = `!${string}`;

const TEXT = /^!?(?:0x)?([0-9a-f]{8})$/i;

/** The text of node number `id`: `!` + 8 lowercase hex digits. */
export function formatNodeId(id: number): NodeIdText {
  return `!${(id >>> 0).toString(16).padStart(8, '0')}`;
}

/** A destination as documents write it: a node id, or `broadcast` for everyone. */
export function formatNodeAddress(id: number): NodeIdText | 'broadcast' {
  return id >>> 0 === BROADCAST ? 'broadcast' : formatNodeId(id);
}

/**
 * The number of a node written `!a1b2c3d4`, `a1b2c3d4`, `0xa1b2c3d4` (any case) or as a decimal
 * number; null for anything else, and for 0 and broadcast, which name no node.
 */
export function parseNodeId(text: string): number | null {
  const t = text.trim();
  const hex = TEXT.exec(t);
  let v: number;
  if (hex) v = parseInt(hex[1]!, 16);
  else if (/^\d{1,10}$/.test(t)) v = Number(t);
  else return null;
  return v > 0 && v < BROADCAST ? v : null;
}

/** `text` in the one spelling (`!` + lowercase hex), or null when it is not a node id. */
export function normalizeNodeId(text: string): NodeIdText | null {
  const id = parseNodeId(text);
  return id === null ? null : formatNodeId(id);
}

/** The 8 hex digits alone: a gateway's MQTT user name and client id. */
export function nodeIdHex(id: number): string {
  return formatNodeId(id).slice(1);
}
