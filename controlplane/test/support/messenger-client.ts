// A messenger client for tests, as thin as a real one would be on the wire: device keys from
// @unibos/messenger-crypto, the hub's REST calls, and an event stream that queues frames so a test
// waits for the next one instead of sleeping. The ciphertext it sends is opaque random bytes
// unless a test brings real encryption.

import { randomBytes, randomUUID } from 'node:crypto';
import { after } from 'node:test';
import WebSocket from 'ws';
import { DeviceIdentity, toBase64url } from '@unibos/messenger-crypto';
import { api, type TestSession } from './test-auth.ts';
import type { TestHub } from './test-hub.ts';

export interface RegisteredDevice {
  id: string;
  keys: DeviceIdentity;
  session: TestSession;
}

export async function registerDevice(hub: TestHub, session: TestSession, name = 'test device', oneTimePrekeys = 3): Promise<RegisteredDevice> {
  const keys = DeviceIdentity.generate({ oneTimePrekeys });
  const res = await api(hub, session, '/api/v1/messenger/devices', { method: 'POST', body: { name, bundle: keys.publishedBundle() } });
  if (res.status !== 201) throw new Error(`registering a device failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, keys, session };
}

export function opaque(bytes = 48): string {
  return toBase64url(randomBytes(bytes));
}

export async function conversationDevices(hub: TestHub, session: TestSession, conversationId: string): Promise<string[]> {
  const res = await api(hub, session, `/api/v1/messenger/conversations/${conversationId}`);
  if (res.status !== 200) throw new Error(`reading the conversation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.devices as Array<{ deviceId: string }>).map((d) => d.deviceId);
}

/** Sends one shared ciphertext to every other current device of the conversation. */
export async function sendOpaque(hub: TestHub, from: RegisteredDevice, conversationId: string, extra: Record<string, unknown> = {}): Promise<{ status: number; body: any; ciphertext: string }> {
  const recipients = (await conversationDevices(hub, from.session, conversationId)).filter((d) => d !== from.id);
  const ciphertext = opaque();
  const res = await api(hub, from.session, `/api/v1/messenger/conversations/${conversationId}/messages`, {
    method: 'POST',
    body: { clientId: randomUUID(), kind: 'message', senderDevice: from.id, recipientDevices: recipients, ciphertext, ...extra },
  });
  return { ...res, ciphertext };
}

export async function inbox(hub: TestHub, device: RegisteredDevice, after = 0): Promise<any[]> {
  const res = await api(hub, device.session, `/api/v1/messenger/inbox?device=${device.id}&after=${after}`);
  if (res.status !== 200) throw new Error(`reading the inbox failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items as any[];
}

/** A /ws client that queues frames, so a test awaits the next one instead of sleeping. */
export class EventStream {
  readonly ws: WebSocket;
  readonly frames: Array<Record<string, any>> = [];
  private wake: (() => void) | null = null;

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Record<string, any>);
      this.wake?.();
    });
    this.ws.on('close', () => this.wake?.());
    after(() => this.ws.terminate());
  }

  /** Opens a stream as the session (from `since`, when given) and waits for its hello. */
  static async open(hub: TestHub, session: TestSession, since?: number): Promise<EventStream> {
    const url = new URL('/ws', hub.url.replace(/^http/, 'ws'));
    url.searchParams.set('token', session.accessToken);
    if (since !== undefined) url.searchParams.set('since', String(since));
    const stream = new EventStream(url.toString());
    await stream.next((f) => f.type === 'hello');
    return stream;
  }

  /** Frames up to and including the first that matches (all of them returned); fails if the stream closes first. */
  async until(match: (frame: Record<string, any>) => boolean): Promise<Array<Record<string, any>>> {
    const seen: Array<Record<string, any>> = [];
    for (;;) {
      while (this.frames.length === 0) {
        if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`stream closed; frames so far: ${JSON.stringify(seen)}`);
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
      }
      const frame = this.frames.shift()!;
      seen.push(frame);
      if (match(frame)) return seen;
    }
  }

  async next(match: (frame: Record<string, any>) => boolean): Promise<Record<string, any>> {
    const seen = await this.until(match);
    return seen[seen.length - 1]!;
  }

  close(): void {
    this.ws.terminate();
  }
}
