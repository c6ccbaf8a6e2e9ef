// `unibos hub` under systemd (the image's unibos-hub.service is Type=notify with WatchdogSec): it
// says READY=1 once its API answers, and pings the watchdog, or systemd would kill it at start-up.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Proc, procs } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-hub-notify-'));
interface DgramServer {
  bind(path: string): void;
  close(): void;
}
const unixDgram = createRequire(new URL('../../firmware/package.json', import.meta.url))('unix-dgram') as { createSocket(type: 'unix_dgram', onMessage: (buf: Buffer) => void): DgramServer };
const sockets: DgramServer[] = [];
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const s of sockets) s.close();
  rmSync(root, { recursive: true, force: true });
});

test('the hub tells systemd it is ready once its API answers, then keeps the watchdog fed', { timeout: 60_000 }, async () => {
  const messages: string[] = [];
  let wake: () => void = () => {};
  const socket = unixDgram.createSocket('unix_dgram', (buf) => {
    messages.push(buf.toString());
    wake();
  });
  sockets.push(socket);
  const path = join(root, 'notify');
  socket.bind(path);
  const until = async (match: (m: string) => boolean): Promise<string> => {
    for (;;) {
      const found = messages.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const hub = new Proc(['hub', '--data-dir', join(root, 'hub'), '--port', '0', '--mqtt-port', '0'], { NOTIFY_SOCKET: path, WATCHDOG_USEC: '400000' });
  const ready = await until((m) => /^READY=1$/m.test(m));
  const url = /STATUS=hub on (\S+)/.exec(ready)?.[1];
  assert.ok(url, ready);
  const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
  assert.equal(health.status, 'ok', 'the API, database and broker are up when READY=1 arrives');
  await until((m) => m === 'WATCHDOG=1');
  await hub.stop();
  await until((m) => m === 'STOPPING=1');
});
