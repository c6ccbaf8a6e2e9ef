// A GatewayBroker on ephemeral ports over a scratch data directory and an in-memory credentials
// database, with its logs captured and its events recorded so tests wait on what the broker did.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { DeviceCredentials } from '../../src/broker/device-credentials.ts';
import { GatewayBroker, type GatewayBrokerEvents, type GatewayBrokerOptions } from '../../src/broker/gateway-broker.ts';
import type { DeviceRole } from '../../src/broker/acl.ts';
import { EventWaiter } from '@unibos/test-support';

export type HarnessOptions = Partial<Omit<GatewayBrokerOptions, 'dataDir' | 'credentials' | 'logger' | 'gatewayId'>>;

type EventName = keyof GatewayBrokerEvents;
export interface RecordedEvent<K extends EventName = EventName> {
  readonly name: K;
  readonly data: GatewayBrokerEvents[K][0];
}

export interface LogRecord {
  readonly level: number;
  readonly msg?: string;
  readonly clientId?: string | null;
  readonly [key: string]: unknown;
}

const EVENT_NAMES: EventName[] = ['clientConnected', 'clientDisconnected', 'subscribed', 'denied', 'authFailed', 'oversized'];

export class BrokerHarness {
  readonly events: RecordedEvent[] = [];
  readonly logs: LogRecord[] = [];
  private readonly waiter = new EventWaiter();
  private readonly db = new Database(':memory:');
  readonly credentials = new DeviceCredentials(this.db);
  readonly dataDir: string;
  private readonly logger = pino({ level: 'debug' }, { write: (line: string) => this.logs.push(JSON.parse(line) as LogRecord) });
  private current: GatewayBroker | null = null;

  /** `dataDir`: the test's own (a filesystem it mounted), left in place by stop(); else a scratch one, removed. */
  private constructor(private readonly options: HarnessOptions, private readonly ownDataDir?: string) {
    this.dataDir = ownDataDir ?? mkdtempSync(join(tmpdir(), 'unibos-broker-'));
  }

  /** With no free-space reserve unless the test asks for one: what it checks must not hang on how full this machine's disk is. */
  static async start(options: HarnessOptions = {}, dataDir?: string): Promise<BrokerHarness> {
    const h = new BrokerHarness({ minFreeBytes: 0, ...options }, dataDir);
    await h.startBroker();
    return h;
  }

  get broker(): GatewayBroker {
    if (!this.current) throw new Error('broker not running');
    return this.current;
  }

  get port(): number {
    return this.broker.ports.mqtt;
  }

  /** Registers a device and returns its login; the client id defaults to the device id. */
  async device(id: string, role: DeviceRole, clientId = id): Promise<{ username: string; password: string; clientId: string }> {
    const password = await this.credentials.add(id, role);
    return { username: id, password, clientId };
  }

  /** Closes the broker and starts a new one on the same data directory (and new ephemeral ports). */
  async restart(): Promise<void> {
    await this.current?.close();
    this.current = null;
    await this.startBroker();
  }

  async stop(): Promise<void> {
    await this.current?.close();
    this.current = null;
    this.db.close();
    if (!this.ownDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  of<K extends EventName>(name: K): Array<GatewayBrokerEvents[K][0]> {
    return this.events.filter((e): e is RecordedEvent<K> => e.name === name).map((e) => e.data);
  }

  /** Waits until an event of kind `name` satisfying `match` has been recorded (before or after this call). */
  async waitForEvent<K extends EventName>(
    name: K,
    match: (data: GatewayBrokerEvents[K][0]) => boolean,
    what: string,
    timeoutMs = 5000,
  ): Promise<GatewayBrokerEvents[K][0]> {
    let found: GatewayBrokerEvents[K][0] | undefined;
    await this.waiter.until(
      () => (found = this.of(name).find(match)) !== undefined,
      () => `${what}; events so far: ${JSON.stringify(this.events.map((e) => e.name))}`,
      timeoutMs,
    );
    return found!;
  }

  async waitUntil(cond: () => boolean, what: string | (() => string), timeoutMs = 5000): Promise<void> {
    await this.waiter.until(cond, what, timeoutMs);
  }

  /** The client ids the broker currently has sessions open for. */
  connectedIds(): Set<string> {
    const ids = new Set<string>();
    for (const e of this.events) {
      if (e.name === 'clientConnected') ids.add((e.data as GatewayBrokerEvents['clientConnected'][0]).clientId);
      if (e.name === 'clientDisconnected') ids.delete((e.data as GatewayBrokerEvents['clientDisconnected'][0]).clientId);
    }
    return ids;
  }

  private async startBroker(): Promise<void> {
    const broker = await GatewayBroker.start({
      port: 0,
      wsPort: 0,
      ...this.options,
      dataDir: this.dataDir,
      credentials: this.credentials,
      gatewayId: 'gw-test',
      logger: this.logger,
    });
    for (const name of EVENT_NAMES) {
      broker.on(name, (data: RecordedEvent['data']) => {
        this.events.push({ name, data } as RecordedEvent);
        this.waiter.wake();
      });
    }
    this.current = broker;
  }
}
