// The hub's messenger routes as typed calls over fetch (Node and browser alike). A hub error keeps
// its stable code (E_DEVICES_CHANGED, E_NOT_FOUND, ...) so the client can react to it; a request
// that gets no whole answer in time is aborted (E_HUB_UNREACHABLE), so a hung connection never
// stalls a sync for good.

import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { MessengerClientError } from './messenger-client-error.ts';

export interface FetchedBundle {
  deviceId: string;
  name: string;
  identityKey: string;
  signingKey: string;
  signedPrekey: { keyId: number; publicKey: string; signature: string };
  oneTimePrekey: { keyId: number; publicKey: string } | null;
}

export interface HubDevice {
  id: string;
  userId: string;
  name: string;
  identityKey: string;
  oneTimePrekeys: number;
  createdAt: string;
  /** When the device last fetched its inbox (to the minute); null if not since the hub kept it. */
  lastSeenAt?: string | null;
}

export interface HubConversation {
  id: string;
  kind: 'direct' | 'group' | 'channel';
  name: string | null;
  description: string | null;
  epoch: number;
  createdAt: string;
  createdBy: string;
  muted: boolean;
  members: Array<{ userId: string; role: 'owner' | 'admin' | 'member'; joinedAt: string }>;
  devices: Array<{ deviceId: string; userId: string }>;
  /** Former members and when they left (the latest time each), by the hub's clock; absent from hubs before it. */
  departed?: Array<{ userId: string; leftAt: string }>;
}

export interface InboxRow {
  seq: number;
  messageId: string;
  conversationId: string;
  senderUser: string;
  senderDevice: string;
  kind: string;
  target: string | null;
  sentAt: string;
  expiresAt: string | null;
  ciphertext: string | null;
  envelope: string | null;
  attachments?: string[];
}

export interface SendBody {
  clientId: string;
  kind: 'message' | 'edit' | 'delete' | 'reaction' | 'read' | 'sender-key' | 'typing';
  target?: string;
  expiresAt?: string;
  senderDevice: string;
  recipientDevices: string[];
  ciphertext?: string;
  envelopes?: Array<{ deviceId: string; ciphertext: string }>;
  attachments?: string[];
}

export interface OrgMember {
  userId: string;
  email: string;
  name: string;
  role: string;
}

/** How long one request may take, answer body included, before it is given up. */
export const HUB_REQUEST_TIMEOUT_MS = 30_000;
/** An attachment's transfer gets one more second per this many bytes (10 MiB: 320 s more, for a slow link). */
const TRANSFER_BYTES_PER_SECOND = 32 * 1024;

export class HubApi {
  constructor(
    readonly hubUrl: string,
    private readonly auth: () => Promise<string>,
    private readonly fetchFn: typeof fetch = (...a) => globalThis.fetch(...a),
    private readonly timeoutMs = HUB_REQUEST_TIMEOUT_MS,
  ) {}

  token(): Promise<string> {
    return this.auth();
  }

  async request<T>(method: string, path: string, body?: unknown, raw?: Uint8Array, timeoutMs = this.timeoutMs): Promise<T> {
    const token = await this.auth();
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let payload: BodyInit | undefined;
    if (raw) {
      headers['content-type'] = 'application/octet-stream';
      payload = raw as unknown as BodyInit;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const unreachable = (err: unknown): MessengerClientError =>
      abort.signal.aborted
        ? new MessengerClientError('E_HUB_UNREACHABLE', `the hub at ${this.hubUrl} did not answer ${method} ${path.split('?')[0]} within ${Math.round(timeoutMs / 1000)} s; it was given up (try again)`)
        : new MessengerClientError('E_HUB_UNREACHABLE', `the hub at ${this.hubUrl} did not answer: ${(err as Error).message}`);
    let res: Response;
    let text: string;
    try {
      try {
        res = await this.fetchFn(new URL(path, this.hubUrl).toString(), { method, headers, signal: abort.signal, ...(payload !== undefined ? { body: payload } : {}) });
      } catch (err) {
        throw unreachable(err);
      }
      if (res.status === 204) return undefined as T;
      try {
        if ((res.headers.get('content-type') ?? '').startsWith('application/octet-stream')) {
          if (!res.ok) throw new MessengerClientError('E_HUB_ANSWER', `the hub answered ${res.status}`, res.status);
          return new Uint8Array(await res.arrayBuffer()) as T;
        }
        text = await res.text();
      } catch (err) {
        if (err instanceof MessengerClientError) throw err;
        throw unreachable(err);
      }
    } finally {
      clearTimeout(timer);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new MessengerClientError('E_HUB_ANSWER', `the hub answered ${res.status} with something that is not JSON`, res.status);
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string };
      throw new MessengerClientError(e.code ?? 'E_HUB_ANSWER', e.message ?? `the hub answered ${res.status}`, res.status, (parsed ?? {}) as Record<string, unknown>);
    }
    return parsed as T;
  }

  me(): Promise<{ user: { id: string; email: string; name: string }; org: { id: string; name: string } }> {
    return this.request('GET', '/api/v1/me');
  }

  members(): Promise<{ items: OrgMember[] }> {
    return this.request('GET', '/api/v1/members');
  }

  registerDevice(name: string, bundle: unknown): Promise<HubDevice> {
    return this.request('POST', '/api/v1/messenger/devices', { name, bundle });
  }

  devices(): Promise<{ items: HubDevice[] }> {
    return this.request('GET', '/api/v1/messenger/devices');
  }

  revokeDevice(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/messenger/devices/${encodeURIComponent(id)}`);
  }

  refillPrekeys(id: string, bundle: unknown): Promise<HubDevice> {
    return this.request('POST', `/api/v1/messenger/devices/${encodeURIComponent(id)}/prekeys`, { bundle });
  }

  bundles(userId: string): Promise<{ items: FetchedBundle[] }> {
    return this.request('GET', `/api/v1/messenger/users/${encodeURIComponent(userId)}/bundles`);
  }

  /** A user's devices' identity keys, taking no prekey (for safety numbers). */
  identityKeys(userId: string): Promise<{ items: Array<{ deviceId: string; name: string; identityKey: string }> }> {
    return this.request('GET', `/api/v1/messenger/users/${encodeURIComponent(userId)}/keys`);
  }

  conversations(cursor?: string): Promise<{ items: HubConversation[]; nextCursor: string | null }> {
    return this.request('GET', `/api/v1/messenger/conversations?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
  }

  conversation(id: string): Promise<HubConversation> {
    return this.request('GET', `/api/v1/messenger/conversations/${encodeURIComponent(id)}`);
  }

  createConversation(body: { kind: 'direct'; userId: string } | { kind: 'group' | 'channel'; name: string; description?: string; members?: string[] }): Promise<HubConversation> {
    return this.request('POST', '/api/v1/messenger/conversations', body);
  }

  addMembers(id: string, userIds: string[]): Promise<HubConversation> {
    return this.request('POST', `/api/v1/messenger/conversations/${encodeURIComponent(id)}/members`, { userIds });
  }

  removeMember(id: string, userId: string): Promise<HubConversation> {
    return this.request('DELETE', `/api/v1/messenger/conversations/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`);
  }

  send(conversationId: string, body: SendBody): Promise<{ id: string; sentAt: string; expiresAt: string | null; duplicate: boolean }> {
    return this.request('POST', `/api/v1/messenger/conversations/${encodeURIComponent(conversationId)}/messages`, body);
  }

  inbox(device: string, after: number, limit: number): Promise<{ items: InboxRow[] }> {
    return this.request('GET', `/api/v1/messenger/inbox?device=${encodeURIComponent(device)}&after=${after}&limit=${limit}`);
  }

  ack(device: string, upTo: number): Promise<{ acknowledged: number }> {
    return this.request('POST', '/api/v1/messenger/inbox/ack', { device, upTo });
  }

  upload(blob: Uint8Array): Promise<{ id: string; bytes: number }> {
    return this.request('POST', '/api/v1/messenger/attachments', undefined, blob, this.transferTimeout(blob.length));
  }

  /** Takes back an upload no message refers to (a failed send's). */
  discardAttachment(id: string): Promise<void> {
    return this.request('DELETE', `/api/v1/messenger/attachments/${encodeURIComponent(id)}`);
  }

  /** `bytes`: the attachment's size as its message says, for the time its transfer may take. */
  download(id: string, bytes = 0): Promise<Uint8Array> {
    return this.request('GET', `/api/v1/messenger/attachments/${encodeURIComponent(id)}`, undefined, undefined, this.transferTimeout(bytes));
  }

  private transferTimeout(bytes: number): number {
    // The size comes from a message: anything odd counts as nothing, and no more than the hub takes.
    const n = Number.isFinite(bytes) && bytes > 0 ? Math.min(bytes, MESSENGER_LIMITS.maxAttachmentBytes) : 0;
    return this.timeoutMs + Math.ceil(n / TRANSFER_BYTES_PER_SECOND) * 1000;
  }
}
