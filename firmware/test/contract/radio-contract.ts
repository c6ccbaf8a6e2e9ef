// The contract every Radio implementation passes: the serial modem driver (against the modem
// emulator) and the simulated air radio run the same cases.

import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { MESH_MAX_FRAME, type Radio, type RxPacket } from '@unibos/mesh-protocol';
import { EventWaiter } from '@unibos/test-support';

export interface RadioPair {
  /** Two radios that hear each other. */
  a: Radio;
  b: Radio;
  close(): Promise<void>;
}

/** Collects what a radio reports, with promises to wait for the next event (no sleeps). */
export class RadioProbe {
  readonly received: RxPacket[] = [];
  readonly done: Array<{ ok: boolean; error?: string }> = [];
  private readonly events = new EventWaiter();

  constructor(radio: Radio) {
    radio.attach({
      onReceive: (p) => {
        this.received.push(p);
        this.events.wake();
      },
      onTransmitDone: (ok, error) => {
        this.done.push(error === undefined ? { ok } : { ok, error });
        this.events.wake();
      },
    });
  }

  /** Resolves once `cond` holds; re-checked after every event. */
  until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return this.events.until(cond, what, timeoutMs);
  }
}

export function radioContract(name: string, makePair: () => Promise<RadioPair>): void {
  describe(`Radio contract: ${name}`, () => {
    let pair: RadioPair;
    let pa: RadioProbe;
    let pb: RadioProbe;
    before(async () => {
      pair = await makePair();
      pa = new RadioProbe(pair.a);
      pb = new RadioProbe(pair.b);
    });
    after(async () => {
      await pair.close();
    });

    it('delivers a frame intact with RSSI and SNR, and reports the transmission done', async () => {
      const frame = Uint8Array.from({ length: 60 }, (_, i) => (i * 7 + 3) & 0xff);
      const doneBefore = pa.done.length;
      pair.a.transmit(frame);
      await pb.until(() => pb.received.length >= 1, 'b to receive');
      await pa.until(() => pa.done.length > doneBefore, 'a transmit done');
      assert.deepEqual([...pb.received[0]!.bytes], [...frame]);
      assert.ok(Number.isFinite(pb.received[0]!.rssi) && pb.received[0]!.rssi < 0, 'rssi is a negative dBm figure');
      assert.ok(Number.isFinite(pb.received[0]!.snr));
      assert.equal(pa.done.at(-1)!.ok, true);
      assert.equal(pa.received.length, 0, 'a sender does not hear itself');
    });

    it('works both ways and keeps frames in order', async () => {
      const startB = pb.received.length;
      const startA = pa.received.length;
      for (let i = 0; i < 3; i++) {
        const doneBefore = pb.done.length;
        pair.b.transmit(Uint8Array.of(0xb0, i));
        await pb.until(() => pb.done.length > doneBefore, 'b transmit done');
      }
      await pa.until(() => pa.received.length >= startA + 3, 'a to receive 3 frames');
      assert.deepEqual(pa.received.slice(startA).map((p) => p.bytes[1]), [0, 1, 2]);
      assert.equal(pb.received.length, startB);
    });

    it('reports the channel busy while it transmits', async () => {
      const doneBefore = pa.done.length;
      const heardBefore = pb.received.length;
      pair.a.transmit(new Uint8Array(200));
      assert.equal(pair.a.isChannelBusy(), true);
      await pa.until(() => pa.done.length > doneBefore, 'a transmit done');
      // Heard before the next test starts: a late copy would be taken for that test's frame.
      await pb.until(() => pb.received.length > heardBefore, 'b to receive it');
      await pb.until(() => !pair.b.isChannelBusy(), 'b channel clear');
      assert.equal(pair.a.isChannelBusy(), false);
    });

    it("refuses a frame longer than the mesh's (MESH_MAX_FRAME) with a failed transmit, not a throw", async () => {
      const doneBefore = pa.done.length;
      const heardBefore = pb.received.length;
      pair.a.transmit(new Uint8Array(MESH_MAX_FRAME + 1));
      await pa.until(() => pa.done.length > doneBefore, 'a transmit done');
      assert.equal(pa.done.at(-1)!.ok, false);
      assert.match(pa.done.at(-1)!.error ?? '', new RegExp(`too long.*${MESH_MAX_FRAME}`));
      // The radio still works afterwards.
      pair.a.transmit(Uint8Array.of(1, 2, 3));
      await pb.until(() => pb.received.length > heardBefore, 'b to receive after the refusal');
      assert.deepEqual([...pb.received.at(-1)!.bytes], [1, 2, 3]);
    });
  });
}
