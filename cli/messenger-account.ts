// The CLI's messenger sign-in and device state in its data dir (default ~/.unibos/messenger):
// session.json (hub, refresh token, current access token) and device.json (the device's private
// keys, sessions and decrypted history), both 0600 in a 0700 folder, written whole or not at all;
// device.json by one process at a time (device-lock.ts).

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { MessengerStateStore } from '@unibos/messenger-client';
import { CliError } from './cli-error.ts';
import { DeviceInUse } from './device-lock.ts';
import { say } from './cli-language.ts';
import { sayMessengerError } from './messenger-error-language.ts';
import { writeSecretFile } from './secret-file.ts';

export const DEFAULT_MSG_DIR = join(homedir(), '.unibos', 'messenger');

interface SessionFile {
  hubUrl: string;
  email: string;
  userId: string;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
}

interface HubSession {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string };
}

/** Refresh this long before the access token runs out, so a request never carries a dead one. */
const REFRESH_MARGIN_MS = 30_000;

export class MessengerAccount {
  private refreshing: Promise<string> | null = null;

  private constructor(
    readonly dir: string,
    private session: SessionFile,
  ) {}

  get hubUrl(): string {
    return this.session.hubUrl;
  }

  get email(): string {
    return this.session.email;
  }

  /** Logs in with email and password and keeps the session in `dir`. */
  static async login(dir: string, hubUrl: string, email: string, password: string): Promise<MessengerAccount> {
    const res = await hubPost(hubUrl, '/api/v1/auth/login', { email, password });
    ensureDir(dir);
    const existing = readSession(dir);
    const s = res as HubSession;
    if (existing && (existing.hubUrl !== hubUrl || existing.userId !== s.user.id) && existsSync(join(dir, 'device.json'))) {
      throw new CliError(say('{dir} already holds the messenger device of {existing} at {hub}; use another --data-dir for {email}', { dir, existing: existing.email, hub: existing.hubUrl, email }));
    }
    const account = new MessengerAccount(dir, { hubUrl, email: s.user.email, userId: s.user.id, accessToken: s.accessToken, accessExpiresAt: Date.now() + s.expiresIn * 1000, refreshToken: s.refreshToken });
    account.save();
    return account;
  }

  static load(dir: string): MessengerAccount {
    const s = readSession(dir);
    if (!s) throw new CliError(say('not logged in (no session in {dir}): run `unibos msg login --hub URL --email EMAIL` first', { dir }));
    return new MessengerAccount(dir, s);
  }

  /** A current access token, refreshed (and the new refresh token saved at once) when it runs out. */
  token(): Promise<string> {
    if (Date.now() < this.session.accessExpiresAt - REFRESH_MARGIN_MS) return Promise.resolve(this.session.accessToken);
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async refresh(): Promise<string> {
    let s: HubSession;
    try {
      s = (await hubPost(this.session.hubUrl, '/api/v1/auth/refresh', { refreshToken: this.session.refreshToken })) as HubSession;
    } catch (err) {
      // Only the hub refusing the refresh token ends the session: a hub away or busy does not.
      if (!(err instanceof HubRefusal) || err.status !== 401) throw err;
      throw new CliError(say('the session with {hub} ended ({reason}): run `unibos msg login` again', { hub: this.session.hubUrl, reason: err.message }));
    }
    this.session = { ...this.session, accessToken: s.accessToken, refreshToken: s.refreshToken, accessExpiresAt: Date.now() + s.expiresIn * 1000 };
    this.save();
    return s.accessToken;
  }

  /**
   * The device state as a 0600 file in the same folder. Only one process may use it (lockDevice);
   * should another write it all the same, a save over what this process did not read is refused
   * rather than rolling the other's ratchets back (which would make the next send reuse their keys).
   */
  deviceStore(): MessengerStateStore {
    const path = join(this.dir, 'device.json');
    const read = (): string | null => (existsSync(path) ? readFileSync(path, 'utf8') : null);
    let known: string | null = null;
    return {
      load: async () => (known = read()),
      save: async (json: string) => {
        if (read() !== known) throw new DeviceInUse(say('another unibos process changed the messenger device in {dir} while this one was using it; this one stops without saving or sending anything more (run one `unibos msg` at a time per data dir)', { dir: this.dir }));
        writeSecretFile(path, json);
        known = json;
      },
    };
  }

  /** Moves the device state aside (a revoked device); the next open registers a new device. */
  retireDevice(): string {
    const aside = join(this.dir, `device.revoked-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    renameSync(join(this.dir, 'device.json'), aside);
    return aside;
  }

  private save(): void {
    writeSecretFile(join(this.dir, 'session.json'), `${JSON.stringify(this.session, null, 2)}\n`);
  }
}

/** The hub answered, refusing (its HTTP status kept: 401 ends a session, others do not). */
class HubRefusal extends CliError {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function readSession(dir: string): SessionFile | null {
  const path = join(dir, 'session.json');
  if (!existsSync(path)) return null;
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as SessionFile;
    if (typeof s.hubUrl !== 'string' || typeof s.refreshToken !== 'string' || typeof s.userId !== 'string') throw new Error('fields missing');
    return s;
  } catch (err) {
    throw new CliError(say('{file} is not a messenger session ({reason}): log in again', { file: path, reason: (err as Error).message }));
  }
}

async function hubPost(hubUrl: string, path: string, body: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(path, hubUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new CliError(say('the hub at {hub} did not answer ({reason})', { hub: hubUrl, reason: (err as Error).message }));
  }
  const parsed = (await res.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
  if (!res.ok) {
    const message = typeof parsed.message === 'string' ? parsed.message : String(res.status);
    // The hub's refusal by its code (a wrong password, a locked account, an ended session), as `unibos msg` says the others.
    const reason = sayMessengerError({ code: typeof parsed.code === 'string' ? parsed.code : 'E_HUB_ANSWER', message, status: res.status }, { hub: hubUrl, login: path === '/api/v1/auth/login' });
    throw new HubRefusal(say('the hub refused: {reason}', { reason }), res.status);
  }
  return parsed;
}
