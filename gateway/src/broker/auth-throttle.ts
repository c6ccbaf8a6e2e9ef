// Failed logins per key (the broker keeps two: per remote address and user name, and per address).
// Every CONNECT with a password costs a scrypt verification, so anyone who can reach the broker
// could keep it busy with wrong passwords; past `maxFailures` failures (verifications still running
// count too) for one key within `windowMs`, that key is refused without a verification until the
// window is over. Other keys are never affected. A successful login does not clear the count: a device of one's own must not buy more
// guesses at someone else's password. Addresses are kept as the socket gives them (a LAN shares one
// IPv6 /64, so grouping by prefix would let one device lock out the rest); the table is bounded,
// expired records going first and then the oldest.

export interface AuthThrottleOptions {
  /** Failures for one key (an address, or an address and user name) within the window before it is refused. Default 10. */
  readonly maxFailures?: number;
  /** Default 60 s. */
  readonly windowMs?: number;
  /** Addresses tracked at once. Default 4096. */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

interface AddressRecord {
  failures: number;
  /** Verifications running for this address: each may still fail. */
  verifying: number;
  windowEndMs: number;
}

export const AUTH_THROTTLE_DEFAULTS = { maxFailures: 10, maxFailuresPerAddress: 100, windowMs: 60_000, maxAddresses: 4096 } as const;

export class AuthThrottle {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  /** Oldest first (re-inserted when touched), so the first entry is the one to forget. */
  private readonly records = new Map<string, AddressRecord>();

  constructor(options: AuthThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? AUTH_THROTTLE_DEFAULTS.maxFailures;
    this.windowMs = options.windowMs ?? AUTH_THROTTLE_DEFAULTS.windowMs;
    this.maxAddresses = options.maxAddresses ?? AUTH_THROTTLE_DEFAULTS.maxAddresses;
    this.now = options.now ?? Date.now;
    for (const [name, v] of [['maxFailures', this.maxFailures], ['windowMs', this.windowMs], ['maxAddresses', this.maxAddresses]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`auth throttle ${name} must be a positive integer, got ${v}`);
    }
  }

  /** Addresses tracked now (bounded by maxAddresses). */
  get size(): number {
    return this.records.size;
  }

  /**
   * Whether a login from `address` may be verified now. If so it is counted as running until
   * `settle` is called with its outcome; if not, the caller refuses it without verifying.
   */
  tryBegin(address: string): boolean {
    const now = this.now();
    const r = this.current(address, now);
    if (r && r.failures + r.verifying >= this.maxFailures) return false;
    const record = r ?? this.add(address, now);
    record.verifying++;
    return true;
  }

  /** A verification begun with tryBegin ended: `failed` when the password was wrong. */
  settle(address: string, failed: boolean): void {
    const r = this.records.get(address);
    // Forgotten meanwhile (the table was full): nothing to count against.
    if (!r) return;
    r.verifying = Math.max(0, r.verifying - 1);
    if (failed) this.fail(address, r);
    else if (r.failures === 0 && r.verifying === 0) this.records.delete(address);
  }

  /** A login from `address` that failed without a verification (no password given). */
  failed(address: string): void {
    this.fail(address, this.current(address, this.now()) ?? this.add(address, this.now()));
  }

  private fail(address: string, r: AddressRecord): void {
    const now = this.now();
    if (now >= r.windowEndMs) {
      r.failures = 0;
      r.windowEndMs = now + this.windowMs;
    }
    r.failures++;
    // Most recently failing last: the first to go when the table is full is the quietest.
    this.records.delete(address);
    this.records.set(address, r);
  }

  /** The address's record, its expired failures cleared. */
  private current(address: string, now: number): AddressRecord | undefined {
    const r = this.records.get(address);
    if (r && now >= r.windowEndMs) {
      if (r.verifying === 0) {
        this.records.delete(address);
        return undefined;
      }
      r.failures = 0;
      r.windowEndMs = now + this.windowMs;
    }
    return r;
  }

  private add(address: string, now: number): AddressRecord {
    if (this.records.size >= this.maxAddresses) this.forgetOne(now);
    const r: AddressRecord = { failures: 0, verifying: 0, windowEndMs: now + this.windowMs };
    this.records.set(address, r);
    return r;
  }

  /** Makes room: an expired record if there is one, else the oldest. */
  private forgetOne(now: number): void {
    for (const [address, r] of this.records) {
      if (now >= r.windowEndMs && r.verifying === 0) {
        this.records.delete(address);
        return;
      }
    }
    const oldest = this.records.keys().next();
    if (!oldest.done) this.records.delete(oldest.value);
  }
}
