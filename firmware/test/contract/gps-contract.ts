// The contract every GpsSource passes: gpsd (fed by gpsfake), a raw NMEA receiver (over a pty pair)
// and the simulated twin run the same cases.

import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import type { GpsFix, GpsSource } from '../../src/gps/gps-source.ts';
import { EventWaiter } from '@unibos/test-support';

export interface GpsUnderTest {
  source: GpsSource;
  /** Where the first fix with a position must be. */
  first: { latitude: number; longitude: number };
  /** After start() resolved: make the source see positions and then lose its fix. */
  play(): Promise<void> | void;
  /** After stop() resolved: deliver input that would make fixes if the source still listened; resolve once it has gone elsewhere. */
  afterStop(): Promise<void> | void;
  /** Anything the harness can check to show the source let go of its resources (timers, ports). */
  released?(): void;
  close(): Promise<void>;
}

/** Collects fixes, with a promise to wait for the next one (no sleeps). */
export class FixProbe {
  readonly fixes: GpsFix[] = [];
  private readonly arrivals = new EventWaiter();

  constructor(source: GpsSource) {
    source.onFix((fix) => {
      this.fixes.push(fix);
      this.arrivals.wake();
    });
  }

  /** Resolves once `cond` holds; re-checked after every fix. */
  until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    return this.arrivals.until(cond, () => `${what}; fixes so far: ${this.fixes.map((f) => f.mode).join(',')}`, timeoutMs);
  }

  firstPositioned(): GpsFix | undefined {
    return this.fixes.find((f) => f.mode !== 'none');
  }
}

/** Open descriptors of this process (Linux), by what they point at, and libuv's active handles and timers. */
export function openHandles(): { fds: string[]; resources: string[] } {
  const fds = readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [`${fd}->${readlinkSync(`/proc/self/fd/${fd}`)}`];
    } catch {
      return []; // the descriptor readdir itself used, already closed
    }
  });
  // libuv's one inotify instance per event loop: the first fs.watch opens it and it stays until the
  // loop ends, however many watchers are closed. A watcher left open shows among the resources (FSEventWrap).
  return { fds: fds.filter((f) => !f.endsWith('->anon_inode:inotify')), resources: process.getActiveResourcesInfo().filter((r) => r !== 'FSReqCallback') };
}

function leaked(before: string[], after: string[]): string[] {
  const left = [...before];
  return after.filter((x) => {
    const i = left.indexOf(x);
    if (i >= 0) left.splice(i, 1);
    return i < 0;
  });
}

const TOLERANCE_DEG = 1e-5;

export function gpsContract(name: string, make: () => Promise<GpsUnderTest>): void {
  describe(`GpsSource contract: ${name}`, () => {
    let t: GpsUnderTest;
    let probe: FixProbe;
    let handlesBefore: ReturnType<typeof openHandles>;
    before(async () => {
      t = await make();
      probe = new FixProbe(t.source);
      handlesBefore = openHandles();
    });
    after(async () => {
      await t.source.stop();
      await t.close();
    });

    it('starts, and its first position is where the receiver is', async () => {
      await t.source.start();
      await t.play();
      await probe.until(() => probe.firstPositioned() !== undefined, 'a first fix with a position');
      const first = probe.firstPositioned()!;
      assert.ok(Math.abs(first.latitude - t.first.latitude) < TOLERANCE_DEG, `latitude ${first.latitude}, want ${t.first.latitude}`);
      assert.ok(Math.abs(first.longitude - t.first.longitude) < TOLERANCE_DEG, `longitude ${first.longitude}, want ${t.first.longitude}`);
      assert.ok(first.mode === '2d' || first.mode === '3d');
      for (const before of probe.fixes.slice(0, probe.fixes.indexOf(first))) {
        assert.equal(before.mode, 'none', 'nothing before the first fix claims a position');
        assert.ok(Number.isNaN(before.latitude) && Number.isNaN(before.longitude));
      }
      assert.ok(t.source.stats.accepted > 0);
    });

    it('reports losing the fix as a fix of mode none, without a position', async () => {
      const firstAt = probe.fixes.indexOf(probe.firstPositioned()!);
      await probe.until(() => probe.fixes.slice(firstAt).some((f) => f.mode === 'none'), 'a none fix after the first position');
      const lost = probe.fixes.slice(firstAt).find((f) => f.mode === 'none')!;
      assert.ok(Number.isNaN(lost.latitude) && Number.isNaN(lost.longitude), 'a lost fix carries no position');
      assert.ok(t.source.lastFix !== undefined);
    });

    it('stops cleanly: no further fixes, nothing left open', async () => {
      await t.source.stop();
      const handlesAfter = openHandles();
      const count = probe.fixes.length;
      const last = t.source.lastFix;
      await t.afterStop();
      assert.equal(probe.fixes.length, count, 'no fixes after stop()');
      assert.equal(t.source.lastFix, last);
      assert.deepEqual(leaked(handlesBefore.fds, handlesAfter.fds), [], 'descriptors opened by the source are closed');
      assert.deepEqual(leaked(handlesBefore.resources, handlesAfter.resources), [], 'handles and timers are released');
      t.released?.();
      await t.source.stop(); // a second stop is harmless
    });
  });
}
