// The well-behaved sensors of the soak bench: mqtt.js clients with persistent sessions (fixed client
// ids, clean:false, protocol 4) publishing numbered readings `{"n": i}` at QoS 1 on
// unibos/v1/sensor/<id>/seq. A reading counts as accepted when its PUBACK arrives. Half the
// sensors use mqtt.js as shipped (resends carry DUP=0), half mark their resends DUP=1.

import mqtt, { type MqttClient } from 'mqtt';
import { ResendMarkingStore } from './resend-marking-store.ts';

export interface SensorCredentials {
  id: string;
  password: string;
}

export class LoadSensor {
  readonly client: MqttClient;
  /** Next reading number to publish. */
  sent = 0;
  readonly accepted = new Set<number>();
  /** Readings published and not yet acknowledged. */
  readonly pending = new Set<number>();
  errors = 0;
  reconnects = 0;
  /** Readings unacknowledged when a connection ended, so resent on the next one. */
  resent = 0;
  private online = false;
  private readonly store: ResendMarkingStore | undefined;

  constructor(
    readonly creds: SensorCredentials,
    port: number,
    /** true: resends carry DUP=1 as MQTT 3.1.1 requires; false: mqtt.js as shipped. */
    readonly marksResends: boolean,
  ) {
    this.store = marksResends ? new ResendMarkingStore() : undefined;
    this.client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      clientId: creds.id,
      username: creds.id,
      password: creds.password,
      protocolVersion: 4,
      clean: false,
      reconnectPeriod: 500,
      connectTimeout: 5_000,
      ...(this.store ? { outgoingStore: this.store } : {}),
    });
    this.client.on('connect', () => (this.online = true));
    this.client.on('close', () => {
      // What was in flight on a connection that just ended goes out again after the reconnect.
      if (this.online) this.resent += this.pending.size;
      this.online = false;
      this.store?.connectionLost();
    });
    this.client.on('reconnect', () => this.reconnects++);
    // Connection errors while the gateway is down are expected; mqtt.js keeps reconnecting.
    this.client.on('error', () => undefined);
  }

  get topic(): string {
    return `unibos/v1/sensor/${this.creds.id}/seq`;
  }

  publishNext(): void {
    const n = this.sent++;
    this.pending.add(n);
    this.client.publish(this.topic, JSON.stringify({ n }), { qos: 1 }, (err) => {
      this.pending.delete(n);
      if (err) this.errors++;
      else this.accepted.add(n);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.client.end(true, {}, () => resolve()));
  }
}

/**
 * Drives `total` readings across the sensors at `rate` per second (round robin). A sensor with
 * `maxInFlight` unacknowledged readings waits, as a device with a bounded buffer would; the load
 * then catches up when it can.
 */
export class SensorLoad {
  private timer: NodeJS.Timeout | undefined;
  private startedMs = 0;
  private issued = 0;
  private doneResolve!: () => void;
  readonly done = new Promise<void>((resolve) => (this.doneResolve = resolve));

  constructor(
    readonly sensors: LoadSensor[],
    readonly total: number,
    readonly rate: number,
    private readonly maxInFlight = 500,
  ) {}

  start(): void {
    this.startedMs = Date.now();
    this.timer = setInterval(() => this.tick(), 20);
  }

  /** Readings published so far. */
  get published(): number {
    return this.issued;
  }

  private tick(): void {
    const due = Math.min(this.total, Math.floor(((Date.now() - this.startedMs) / 1000) * this.rate));
    while (this.issued < due) {
      const sensor = this.sensors[this.issued % this.sensors.length]!;
      if (sensor.pending.size >= this.maxInFlight) break;
      sensor.publishNext();
      this.issued++;
    }
    if (this.issued >= this.total) {
      clearInterval(this.timer);
      this.doneResolve();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
