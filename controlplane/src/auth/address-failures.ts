// Per-address protection for the routes that take a secret (setup, login, refresh): an address
// gets 10 *failed* tries a minute, then 429 E_RATE_LIMITED with Retry-After until the minute
// ends. Successes cost nothing: thirty people on one shelter's Wi-Fi (one address behind its NAT)
// all signing in after a quake are not refused, while one address guessing passwords still is.
// Guessing one account from many addresses is the per-account throttle's job (login-throttle.ts).
// IPv6 addresses count by their /64, which one host usually holds whole. In memory: a restart
// gives an address a fresh minute, no more.

import { isIPv6 } from 'node:net';
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

  constructor(
    private readonly now: () => number,
    private readonly policy: AddressFailuresPolicy = ADDRESS_FAILURES_DEFAULTS,
  ) {}

  /** Throws AddressLimitedError while `address` has used up its failed tries. */
  check(address: string): void {
    const w = this.current(addressKey(address));
    if (w && w.failures >= this.policy.maxFailures) throw new AddressLimitedError(Math.max(1, Math.ceil((w.endsAt - this.now()) / 1000)));
  }

  failed(address: string): void {
    const key = addressKey(address);
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
    if (w && w.endsAt <= this.now()) {
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
