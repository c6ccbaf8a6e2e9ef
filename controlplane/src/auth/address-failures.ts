// Per-address protection for the routes that take a password or token someone could guess
// (setup, login): an address gets 10 *failed* tries a minute, then 429 E_RATE_LIMITED with
// Retry-After until the minute ends. Successes cost nothing: thirty people on one shelter's Wi-Fi
// (one address behind its NAT) all signing in after a quake are not refused, while one address
// guessing passwords still is. A try still being checked counts against the limit until it is
// answered, so tries sent all at once get no more than tries sent one by one. Guessing one account
// from many addresses is the per-account throttle's job (login-throttle.ts). IPv6 addresses count
// by their /64, which one host usually holds whole. In memory: a restart gives an address a fresh
// minute, no more.

import { isIP, isIPv6 } from 'node:net';
import { HubError } from '../hub-error.ts';

export interface AddressFailuresPolicy {
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Addresses remembered at most; past it the oldest window is forgotten first. */
  readonly maxAddresses: number;
}

export const ADDRESS_FAILURES_DEFAULTS: AddressFailuresPolicy = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000 };

/** Refused without looking at the secret: answered 429 with Retry-After. */
export class AddressLimitedError extends HubError {
  constructor(readonly retryAfterS: number) {
    super('E_RATE_LIMITED', `too many failed tries from this address: try again in ${retryAfterS} s`);
  }
}

interface Window {
  failures: number;
  endsAt: number;
}

export class AddressFailures {
  /** In the order their windows opened (a Map keeps insertion order). */
  private readonly windows = new Map<string, Window>();
  /** Tries begun and not yet answered, by address key. */
  private readonly running = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly policy: AddressFailuresPolicy = ADDRESS_FAILURES_DEFAULTS,
  ) {}

  /**
   * A try from `address` begins: throws AddressLimitedError while its failures, with the tries
   * from it still running, have used up the minute's allowance. `end(failed)` once it is answered.
   */
  begin(address: string): { end(failed: boolean): void } {
    const key = addressKey(address);
    const w = this.current(key);
    const failures = w?.failures ?? 0;
    const running = this.running.get(key) ?? 0;
    if (failures + running >= this.policy.maxFailures) {
      // Waiting on tries still running: they are answered within a second or two.
      throw new AddressLimitedError(failures >= this.policy.maxFailures ? Math.max(1, Math.ceil((w!.endsAt - this.now()) / 1000)) : 1);
    }
    this.running.set(key, running + 1);
    let ended = false;
    return {
      end: (failed) => {
        if (ended) return;
        ended = true;
        const left = (this.running.get(key) ?? 1) - 1;
        if (left > 0) this.running.set(key, left);
        else this.running.delete(key);
        if (failed) this.failed(key);
      },
    };
  }

  private failed(key: string): void {
    const w = this.current(key);
    if (w) {
      w.failures++;
      return;
    }
    this.forgetEnded();
    if (this.windows.size >= this.policy.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(key, { failures: 1, endsAt: this.now() + this.policy.windowMs });
  }

  private current(key: string): Window | undefined {
    const w = this.windows.get(key);
    // Ended, or opened by a clock that has since been set back (a Pi's fast clock corrected by GPS).
    if (w && (w.endsAt <= this.now() || w.endsAt - this.now() > this.policy.windowMs)) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  /** Windows open in order, so the ended ones are at the front. */
  private forgetEnded(): void {
    const now = this.now();
    for (const [key, w] of this.windows) {
      if (w.endsAt > now) return;
      this.windows.delete(key);
    }
  }
}

/**
 * The client's address: Fastify's (a trusted proxy's X-Forwarded-For) when it is an IP address,
 * else the connection's own (a proxy range that takes in clients would let them name any string).
 */
export function clientAddress(request: { ip: string; socket: { remoteAddress?: string | undefined } }): string {
  return isIP(request.ip) ? request.ip : (request.socket.remoteAddress ?? request.ip);
}

/** The rate-limit key of a request: its client's address block (addressKey), never a single IPv6 address. */
export function requestAddressKey(request: { ip: string; socket: { remoteAddress?: string | undefined } }): string {
  return addressKey(clientAddress(request));
}

/** The address itself, or an IPv6 address's /64. */
export function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
