// Reading persisted state (device identities, sessions, trust pins) back from JSON. Stored state
// may be corrupt or from another version, so every field is checked and a bad one is reported as
// E_STATE_MALFORMED naming the field, never half-restored.

import { fromBase64url, toBase64url } from './base64url.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';

export type JsonRecord = Record<string, unknown>;

function bad(path: string, what: string): never {
  throw new MessengerCryptoError('E_STATE_MALFORMED', `stored state: ${path} ${what}`);
}

export function asRecord(v: unknown, path: string): JsonRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'must be an object');
  return v as JsonRecord;
}

export function asArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) bad(path, 'must be an array');
  return v;
}

export function asString(v: unknown, path: string): string {
  if (typeof v !== 'string') bad(path, 'must be a string');
  return v;
}

export function asUint(v: unknown, path: string, max = 0xffffffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) bad(path, `must be an integer from 0 to ${max}`);
  return v;
}

export function asBoolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') bad(path, 'must be true or false');
  return v;
}

export function asBytes(v: unknown, path: string, length?: number): Uint8Array {
  if (typeof v !== 'string') bad(path, 'must be base64url');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(v);
  } catch {
    bad(path, 'is not valid base64url');
  }
  if (length !== undefined && bytes.length !== length) bad(path, `must be ${length} bytes`);
  return bytes;
}

export function asVersion(v: unknown, path: string, version: number): void {
  if (v !== version) bad(path, `has version ${String(v)}, this library reads version ${version}`);
}

export const b64 = toBase64url;
