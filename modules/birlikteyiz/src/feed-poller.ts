// Polls one feed on a schedule: conditional requests (If-None-Match / If-Modified-Since, a 304
// costs nothing), a timeout, and a backoff that doubles the interval on every failure up to
// ten times it (two minutes at most while the feed cannot be reached at all). A feed that cannot be reached is marked `unreachable` (no internet is a normal
// state for this network), one that answers badly `error`; both recover on the next good poll.

import { redactText } from '@unibos/module-api';
import type { ParsedFeed, QuakeSource } from './feeds/quake.ts';

/** How far ahead of the hub's clock a quake's time may be before it is rejected. */
export const FUTURE_SLACK_MS = 10 * 60_000;

/** Far more than any feed's answer (USGS's all_month is about 10 MB); a longer one is refused. */
export const MAX_FEED_BYTES = 64 * 1024 * 1024;

/** The longest wait between polls of a feed that cannot be reached (unless the interval is longer). */
export const UNREACHABLE_BACKOFF_CAP_MS = 2 * 60_000;

export type FeedState = 'waiting' | 'ok' | 'unreachable' | 'error';

export interface FeedStatus {
  source: QuakeSource;
  url: string;
  state: FeedState;
  lastOkAt: number | null;
  lastError: string | null;
  failures: number;
  /** Entries of the last document that did not parse. */
  rejected: number;
  /**
   * Quakes of the last document older than the hub remembers (`maxAgeMs`, a day): a page that spans
   * days (Kandilli's 500 lines) lists them at every poll; they are no news and are not taken.
   */
  older: number;
  /**
   * Every quake the last document listed was older than that (and it listed some): a feed does not
   * list only yesterday's quakes, so the hub's clock is likely far ahead; its screen says so.
   */
  allOlder: boolean;
  /** What is wrong, for a screen to say in its language: `E_FEED_URL`, the URL is no http(s) address. */
  errorCode: 'E_FEED_URL' | null;
  nextPollInMs: number;
}

/** A feed's state as every org's users see it (`GET /feeds` and the event stream alike). */
export type PublicFeedStatus = Omit<FeedStatus, 'url'>;

/**
 * The feed URL is a setting (a private feed's key may be in it), which only the hub's admins see:
 * it is left out, and named "usgs feed" (say) inside the last error, whose other URLs lose their
 * credentials too (a redirect, the AFAD URL with its time window added).
 */
export function publicFeedStatus(status: FeedStatus): PublicFeedStatus {
  const { url, ...rest } = status;
  // An error with a code is the poller's own words, with no URL in them (a bad one may be "http://", found in those words).
  const named = rest.lastError !== null && url && rest.errorCode === null ? rest.lastError.split(url).join(`${rest.source} feed`) : rest.lastError;
  return { ...rest, lastError: named === null ? null : redactText(named) };
}

export interface FeedPollerOptions {
  source: QuakeSource;
  url: string;
  parse: (body: Uint8Array) => ParsedFeed;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  intervalMs: number;
  timeoutMs?: number;
  /** The longest answer read (MAX_FEED_BYTES unless the format is known to be far smaller). */
  maxBytes?: number;
  /** Quakes older than this (by the hub's clock) are dropped, counted in `older`. */
  maxAgeMs?: number;
  now: () => number;
}

export class FeedPoller {
  private etag: string | null = null;
  private lastModified: string | null = null;
  readonly status: FeedStatus;

  constructor(private readonly o: FeedPollerOptions) {
    this.status = { source: o.source, url: o.url, state: 'waiting', lastOkAt: null, lastError: null, failures: 0, rejected: 0, older: 0, allOlder: false, errorCode: null, nextPollInMs: o.intervalMs };
  }

  /** One poll: the quakes of a changed document ([] when unchanged or failed). */
  async poll(): Promise<ParsedFeed> {
    // A mistyped setting (no scheme, "htps://", "file://") is not the internet being down: said as such, not fetched.
    if (!webAddress(this.o.url)) return this.failed('error', 'the feed URL is not a web address (http:// or https://): correct it in the module settings', 'E_FEED_URL');
    const headers: Record<string, string> = { accept: 'application/json, text/html;q=0.9, */*;q=0.5', 'user-agent': 'UNIBOS-birlikteyiz/0.1 (+community emergency network)' };
    if (this.etag) headers['if-none-match'] = this.etag;
    if (this.lastModified) headers['if-modified-since'] = this.lastModified;
    let res: Response;
    try {
      res = await this.o.fetch(this.o.url, { headers, signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000) });
    } catch (err) {
      return this.failed('unreachable', (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
    }
    if (res.status === 304) {
      await res.body?.cancel();
      return this.succeeded({ quakes: [], rejected: this.status.rejected }, this.status.older, this.status.allOlder);
    }
    if (!res.ok) {
      await res.body?.cancel();
      return this.failed('error', `HTTP ${res.status}`);
    }
    let parsed: ParsedFeed;
    let body: Uint8Array;
    try {
      body = await readAtMost(res, this.o.maxBytes ?? MAX_FEED_BYTES);
    } catch (err) {
      return this.failed('error', (err as Error).message);
    }
    try {
      parsed = this.o.parse(body);
    } catch (err) {
      return this.failed('error', `unreadable document: ${(err as Error).message}`);
    }
    // A quake dated ahead of this clock (a broken feed, a mistyped year) is no quake to alert on yet:
    // a counted drop, like any implausible entry. Ten minutes allow for a hub clock a little behind.
    const latest = this.o.now() + FUTURE_SLACK_MS;
    const ahead = parsed.quakes.filter((q) => q.timeMs > latest).length;
    if (ahead) parsed = { quakes: parsed.quakes.filter((q) => q.timeMs <= latest), rejected: parsed.rejected + ahead };
    const earliest = this.o.maxAgeMs === undefined ? -Infinity : this.o.now() - this.o.maxAgeMs;
    const older = parsed.quakes.filter((q) => q.timeMs < earliest).length;
    const allOlder = older > 0 && older === parsed.quakes.length;
    if (older) parsed = { ...parsed, quakes: parsed.quakes.filter((q) => q.timeMs >= earliest) };
    this.etag = res.headers.get('etag');
    this.lastModified = res.headers.get('last-modified');
    return this.succeeded(parsed, older, allOlder);
  }

  private succeeded(parsed: ParsedFeed, older: number, allOlder: boolean): ParsedFeed {
    Object.assign(this.status, { state: 'ok', lastOkAt: this.o.now(), lastError: null, errorCode: null, failures: 0, rejected: parsed.rejected, older, allOlder, nextPollInMs: this.o.intervalMs });
    return parsed;
  }

  private failed(state: FeedState, reason: string, errorCode: FeedStatus['errorCode'] = null): ParsedFeed {
    const failures = this.status.failures + 1;
    // A feed that cannot be reached is the hub's link being down, not the feed misbehaving: when the
    // link returns, a quake right after must be seen within a couple of minutes, not ten.
    const cap = state === 'unreachable' ? Math.max(this.o.intervalMs, UNREACHABLE_BACKOFF_CAP_MS) : this.o.intervalMs * 10;
    Object.assign(this.status, { state, lastError: reason, errorCode, failures, nextPollInMs: Math.min(cap, this.o.intervalMs * 2 ** failures) });
    return { quakes: [], rejected: 0 };
  }
}

/** Whether `url` is an http:// or https:// address with a host. */
function webAddress(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** The body, or an error once it passes `max` bytes (the rest is not read). */
async function readAtMost(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new Error(`the document is larger than ${max} bytes (${Math.round(max / 1024)} KiB), the most this feed may send: refused, not read further`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
