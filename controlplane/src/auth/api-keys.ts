// API keys: `ubk_<id>_<secret>` with a 256-bit random secret, bound to one org, scoped to a subset
// of their creator's permissions. Records live in the accounts store; verification is a map
// lookup by id plus one SHA-256 and a constant-time compare, so a key costs microseconds per
// request. lastUsedAt is kept in memory and written to the store at most once a minute.

import { randomBytes } from 'node:crypto';
import { digestMatches, tokenDigest } from '../storage/token-digest.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { AccountStore, ApiKeyRecord } from '../accounts/account-store.ts';
import { HubError } from '../hub-error.ts';
import type { Permission } from './auth-context.ts';

export const API_KEY_PREFIX = 'ubk_';
const KEY_PATTERN = /^ubk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const FLUSH_INTERVAL_MS = 60_000;


export function isApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}


/** API keys one org holds at most (integrations, wall screens, scripts). */
export const MAX_API_KEYS_PER_ORG = 100;
export class ApiKeys {
  /** Epoch ms of each key's last use; formatted only when listed or flushed. */
  private readonly lastUsed = new Map<string, number>();
  private readonly pending = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: AccountStore,
    private readonly now: () => number,
    private readonly logger: Pick<FastifyBaseLogger, 'warn'>,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async create(input: { orgId: string; createdBy: string; name: string; scopes: Permission[] }): Promise<{ record: ApiKeyRecord; key: string }> {
    // The accounts file is rewritten whole at every change: without a bound one admin could grow it without end.
    if (this.store.apiKeysOf(input.orgId).length >= MAX_API_KEYS_PER_ORG) throw new HubError('E_LIMIT_REACHED', `an org has at most ${MAX_API_KEYS_PER_ORG} API keys: delete one it no longer uses`);
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      id,
      orgId: input.orgId,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      secretHash: tokenDigest(secret).toString('hex'),
      createdBy: input.createdBy,
      createdAt: new Date(this.now()).toISOString(),
      lastUsedAt: null,
    };
    await this.store.addApiKey(record);
    return { record, key: `${API_KEY_PREFIX}${id}_${secret}` };
  }

  /** The key's record; E_AUTH_INVALID for a malformed, unknown or wrong key. */
  verify(key: string): ApiKeyRecord {
    const m = KEY_PATTERN.exec(key);
    const record = m ? this.store.apiKeyById(m[1]!) : undefined;
    if (!m || !record || !digestMatches(m[2]!, Buffer.from(record.secretHash, 'hex'))) {
      throw new HubError('E_AUTH_INVALID', 'invalid API key');
    }
    this.lastUsed.set(record.id, this.now());
    this.pending.add(record.id);
    return record;
  }

  lastUsedAt(record: ApiKeyRecord): string | null {
    const at = this.lastUsed.get(record.id);
    return at === undefined ? record.lastUsedAt : new Date(at).toISOString();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = new Map([...this.pending].map((id) => [id, new Date(this.lastUsed.get(id)!).toISOString()] as const));
    this.pending.clear();
    try {
      await this.store.recordApiKeyUse(batch);
    } catch (err) {
      this.logger.warn({ err }, 'could not record API key use');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
