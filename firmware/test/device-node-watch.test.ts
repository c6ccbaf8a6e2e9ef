// The watch on a serial device node (modem, GPS): it must hear the node come back however the directories on the
// way to it appear, including a directory made between the watch's look at the disk and its inotify watch.

import { mkdirSync, rmSync, watch } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { EventWaiter } from '@unibos/test-support';
import { DeviceNodeWatch, type WatchDirectory } from '../src/device-node-watch.ts';

async function withRoot(run: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'unibos-devwatch-'));
  try {
    await run(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** A watch on `path` that records what it reported; `until` waits for a report. */
function watchNode(path: string, watchDirectory?: WatchDirectory): { seen: boolean[]; node: DeviceNodeWatch; until: (cond: () => boolean, what: string) => Promise<void> } {
  const seen: boolean[] = [];
  const changes = new EventWaiter();
  const node = new DeviceNodeWatch(path, (present) => {
    seen.push(present);
    changes.wake();
  }, undefined, watchDirectory);
  return { seen, node, until: (cond, what) => changes.until(cond, () => `${what} (reported ${JSON.stringify(seen)})`) };
}

describe('DeviceNodeWatch', () => {
  it('hears the node go with its directories and come back with them', async () => {
    await withRoot(async (root) => {
      const byId = join(root, 'serial', 'by-id');
      const path = join(byId, 'usb-RAK3172-if00');
      await mkdir(byId, { recursive: true });
      await writeFile(path, '');
      const w = watchNode(path);
      w.node.start();
      try {
        for (let n = 1; n <= 3; n++) {
          await rm(join(root, 'serial'), { recursive: true });
          await w.until(() => w.seen.at(-1) === false, `the node to go (${n})`);
          await mkdir(byId, { recursive: true });
          await writeFile(path, '');
          await w.until(() => w.seen.at(-1) === true, `the node to come back (${n})`);
        }
      } finally {
        w.node.stop();
      }
    });
  });

  it('hears the node when its missing directory appears between the look at the disk and the watch', async () => {
    await withRoot(async (root) => {
      const byId = join(root, 'serial', 'by-id');
      const path = join(byId, 'usb-RAK3172-if00');
      // The first watch is asked for `root` (nothing below it exists); udev makes the directories just then.
      const late: WatchDirectory = (dir, listener) => {
        if (dir === root) mkdirSync(byId, { recursive: true });
        return watch(dir, listener);
      };
      const w = watchNode(path, late);
      w.node.start();
      try {
        await writeFile(path, '');
        await w.until(() => w.seen.at(-1) === true, 'the node made inside the late directory to be seen');
      } finally {
        w.node.stop();
      }
    });
  });

  it('hears the node come back when its directory went between the look at the disk and the watch', async () => {
    await withRoot(async (root) => {
      const byId = join(root, 'serial', 'by-id');
      const path = join(byId, 'usb-RAK3172-if00');
      await mkdir(byId, { recursive: true });
      // The first watch is asked for by-id, which the last adapter takes with it just then.
      let unplugged = false;
      const early: WatchDirectory = (dir, listener) => {
        if (dir === byId && !unplugged) {
          unplugged = true;
          rmSync(join(root, 'serial'), { recursive: true });
        }
        return watch(dir, listener);
      };
      const w = watchNode(path, early);
      w.node.start();
      try {
        await mkdir(byId, { recursive: true });
        await writeFile(path, '');
        await w.until(() => w.seen.at(-1) === true, 'the node to be seen after the replug');
      } finally {
        w.node.stop();
      }
    });
  });
});

test('a file system that keeps saying the directory is gone (while it exists) gets a few more looks, not an endless recursion', async () => {
  await withRoot(async (root) => {
    let calls = 0;
    const gone: WatchDirectory = () => {
      calls++;
      throw Object.assign(new Error('ENOENT: no such file or directory, watch'), { code: 'ENOENT' });
    };
    const w = watchNode(join(root, 'ttyUSB0'), gone);
    w.node.start();
    assert.ok(calls > 1 && calls < 20, `looked again a few times: ${calls}`);
    w.node.stop();
  });
});
