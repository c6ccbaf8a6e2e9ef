// The simulated air and its radios: the Radio contract, range from positions, refusals, bad input,
// rejoining after the air restarts, joins that hang or are cut short, and members that stop reading
// — all over real loopback sockets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loraParams, SimScheduler, type LoRaParams } from '@unibos/mesh-protocol';
import { SimAir } from '../src/radio/sim-air.ts';
import { AirRadio } from '../src/radio/air-radio.ts';
import { MAX_AIR_LINE, encodeAirMessage, parseServerMessage, type AirParams, type ServerMessage } from '../src/radio/air-protocol.ts';
import { readLines } from '../src/net/line-reader.ts';
import { radioContract, RadioProbe } from './contract/radio-contract.ts';
import { EventWaiter } from '@unibos/test-support';

const params = loraParams('ShortFast');
const HOME = { latitude: 41.0, longitude: 29.0 };
/** About `km` kilometres east of HOME. */
const east = (km: number) => ({ latitude: HOME.latitude, longitude: HOME.longitude + km / 84 });

async function air(): Promise<{ air: SimAir; port: number }> {
  const a = new SimAir({ params, port: 0 });
  return { air: a, port: await a.listen() };
}

/** Resolves once the radio reaches `state` (reported through its state callback, not polled). */
function reaches(r: AirRadio, state: AirRadio['state']): Promise<void> {
  if (r.state === state) return Promise.resolve();
  return new Promise((resolve) => r.onStateChange((s) => s === state && resolve()));
}

async function radio(port: number, nodeId: number, position = HOME, p = params, helloTimeoutMs?: number): Promise<AirRadio> {
  const r = new AirRadio({ nodeId, params: p, position, port, reconnectMs: 20, helloTimeoutMs });
  await r.open();
  return r;
}

function airParams(p: LoRaParams): AirParams {
  return { sf: p.sf, bandwidthHz: p.bandwidthHz, codingRate: p.codingRate, frequencyHz: p.frequencyHz };
}

/** A client speaking the air protocol by hand, to see exactly what the air sends and when it hangs up. */
async function bareClient(port: number) {
  const socket = connect({ port, host: '127.0.0.1' });
  const messages: ServerMessage[] = [];
  const events = new EventWaiter();
  let closed = false;
  readLines(
    socket,
    MAX_AIR_LINE,
    (line) => {
      const parsed = parseServerMessage(line);
      if (parsed.ok) messages.push(parsed.message);
      events.wake();
    },
    () => undefined,
  );
  socket.on('close', () => {
    closed = true;
    events.wake();
  });
  await once(socket, 'connect');
  return {
    socket,
    messages,
    next: (type: ServerMessage['type']) => events.until(() => messages.some((m) => m.type === type), `a ${type} message`, 10_000),
    closed: () => events.until(() => closed, 'the air to close the connection', 10_000),
  };
}

/** A bare client that has joined: an observer of what the air sends a member. */
async function bareMember(port: number, nodeId: number, position = HOME, p = params) {
  const c = await bareClient(port);
  c.socket.write(encodeAirMessage({ type: 'hello', nodeId, ...position, params: airParams(p) }));
  await c.next('welcome');
  return c;
}

/** What a loaded machine does to a test now and then: the whole process gets no CPU for `ms` (blocks, does not spin). */
function busyMachinePause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Starts something listening again on a port the radios keep coming back to. While nothing listened there,
 * another process (a test's server, a client's local port) may have taken it for a while: a start refused
 * for that is tried again after a pause, as no event says when the other lets go.
 */
async function onSamePort<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 200) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A new air on `port`, where the radios of a closed one keep coming back. */
function airAgain(port: number, airParams: LoRaParams = params): Promise<SimAir> {
  return onSamePort(async () => {
    const air = new SimAir({ params: airParams, port });
    await air.listen();
    return air;
  });
}

/** A stand-in for the air that accepts and listens but answers only when the test says so. */
async function heldAir(port = 0) {
  const sockets: Socket[] = [];
  const events = new EventWaiter();
  let hellos = 0;
  let hangups = 0;
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      hangups++;
      events.wake();
    });
    readLines(
      s,
      MAX_AIR_LINE,
      () => {
        hellos++;
        events.wake();
      },
      () => undefined,
    );
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    sockets,
    untilHellos: (n: number) => events.until(() => hellos >= n, () => `${n} hello(s), got ${hellos}`, 10_000),
    untilHangups: (n: number) => events.until(() => hangups >= n, () => `${n} connection(s) ended, got ${hangups}`, 10_000),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const isAirUnavailable = (pattern: RegExp) => (e: Error & { code?: string }) => e.code === 'E_AIR_UNAVAILABLE' && pattern.test(e.message);

radioContract('simulated air radio', async () => {
  const { air: a, port } = await air();
  const r1 = await radio(port, 1);
  const r2 = await radio(port, 2, east(0.5));
  return {
    a: r1,
    b: r2,
    close: async () => {
      await r1.close();
      await r2.close();
      await a.close();
    },
  };
});

test('who hears whom follows distance: a node beyond range hears nothing', async () => {
  const { air: a, port } = await air();
  const near = await radio(port, 1);
  const mid = await radio(port, 2, east(1));
  const far = await radio(port, 3, east(60));
  const [pNear, pMid, pFar] = [near, mid, far].map((r) => new RadioProbe(r));
  near.transmit(Uint8Array.of(1, 2, 3));
  await pMid!.until(() => pMid!.received.length === 1, 'the 1 km neighbour to hear it');
  await pNear!.until(() => pNear!.done.length === 1, 'transmit done');
  assert.equal(pFar!.received.length, 0);
  assert.ok(pMid!.received[0]!.rssi > -130 && pMid!.received[0]!.snr > -10);
  // Moving the far node close makes it audible.
  far.moveTo(east(0.2));
  near.transmit(Uint8Array.of(4));
  await pFar!.until(() => pFar!.received.length === 1, 'the moved node to hear it');
  for (const r of [near, mid, far]) await r.close();
  await a.close();
});

test('the air refuses a second radio with the same node id, and different radio settings', async () => {
  const { air: a, port } = await air();
  const first = await radio(port, 7);
  await assert.rejects(radio(port, 7), (e: Error & { code?: string }) => e.code === 'E_AIR_UNAVAILABLE' && /already on the air/.test(e.message));
  await assert.rejects(radio(port, 8, HOME, loraParams('LongFast')), /SF7.*SF11/);
  await first.close();
  await a.close();
});

test('a node with no air running gets a clear error naming the fix', async () => {
  const { air: a, port } = await air();
  await a.close();
  await assert.rejects(radio(port, 1), (e: Error & { code?: string }) => e.code === 'E_AIR_UNAVAILABLE' && /no simulated air.*unibos air/.test(e.message));
});

test('garbage from a client is counted and the air keeps serving others', async () => {
  const { air: a, port } = await air();
  const r1 = await radio(port, 1);
  const r2 = await radio(port, 2, east(0.3));
  const p2 = new RadioProbe(r2);
  const s = connect({ port, host: '127.0.0.1' });
  await once(s, 'connect');
  s.resume(); // the air answers the bad hello with a refusal; unread, it would hold the socket open
  s.write('not json\n{"type":"tx","frame":"AAAA"}\n{"type":"hello","nodeId":-1}\n' + 'x'.repeat(10_000) + '\n');
  s.end();
  await once(s, 'close');
  r1.transmit(Uint8Array.of(9));
  await p2.until(() => p2.received.length === 1, 'a frame after the garbage');
  assert.ok(a.stats.badLines >= 4, `bad lines counted: ${a.stats.badLines}`);
  await r1.close();
  await r2.close();
  await a.close();
});

test('a radio rejoins when the air comes back, failing the frame that was on air', async () => {
  const first = new SimAir({ params, port: 0 });
  const port = await first.listen();
  const r1 = await radio(port, 1);
  const r2 = await radio(port, 2, east(0.3));
  const p1 = new RadioProbe(r1);
  const p2 = new RadioProbe(r2);
  const states: string[] = [];
  r1.onStateChange((s) => states.push(s));
  await first.close();
  await Promise.all([reaches(r1, 'recovering'), reaches(r2, 'recovering')]);
  r1.transmit(Uint8Array.of(1));
  await p1.until(() => p1.done.length === 1, 'the refused transmit');
  assert.equal(p1.done[0]!.ok, false);

  const second = await airAgain(port);
  await Promise.all([reaches(r1, 'ready'), reaches(r2, 'ready')]);
  assert.deepEqual(states, ['recovering', 'ready']);
  r1.transmit(Uint8Array.of(2));
  await p2.until(() => p2.received.length === 1, 'a frame over the new air');
  assert.equal(r1.stats.reconnects, 1);
  await r1.close();
  await r2.close();
  await second.close();
});

test('a frame on air when the air goes away fails exactly once, and the radio sends again after rejoining', { timeout: 30_000 }, async () => {
  // 250 bytes at SF12/125 kHz stay on air about 14 s: the air cannot finish the frame before we stop it.
  const slow = loraParams('LongSlow');
  const first = new SimAir({ params: slow, port: 0 });
  const port = await first.listen();
  const r1 = await radio(port, 1, HOME, slow);
  const p1 = new RadioProbe(r1);
  const watcher = await bareMember(port, 2, east(0.3), slow);
  r1.transmit(new Uint8Array(250).fill(0x5a));
  // The carrier the air sends a neighbour is the proof that the frame is on air, not still in a socket.
  await watcher.next('carrier');
  assert.equal(r1.isChannelBusy(), true);
  await first.close();
  await reaches(r1, 'recovering');
  assert.deepEqual(p1.done, [{ ok: false, error: 'lost the simulated air' }]);
  assert.equal(r1.isChannelBusy(), false);

  const second = await airAgain(port, slow);
  await reaches(r1, 'ready');
  r1.transmit(Uint8Array.of(1));
  await p1.until(() => p1.done.length >= 2, 'the transmit over the new air');
  assert.deepEqual(
    p1.done.map((d) => d.ok),
    [false, true],
  );
  await r1.close();
  await second.close();
});

test('a simulated radio must start from a real place', () => {
  assert.throws(
    () => new AirRadio({ nodeId: 1, params, position: { latitude: Number.NaN, longitude: Number.NaN }, port: 1 }),
    (e: Error & { code?: string }) => e.code === 'E_CONFIG' && /gps\.latitude.*NaN/.test(e.message),
  );
});

test('a GPS without a fix does not knock the radio off the air', { timeout: 20_000 }, async () => {
  const first = new SimAir({ params, port: 0 });
  const port = await first.listen();
  const r1 = await radio(port, 1);
  r1.moveTo({ latitude: Number.NaN, longitude: Number.NaN });
  // The next hello carries the last real position, so the restarted air takes the radio back.
  await first.close();
  await reaches(r1, 'recovering');
  const second = await airAgain(port);
  await reaches(r1, 'ready');
  const r2 = await radio(port, 2, east(0.3));
  const p2 = new RadioProbe(r2);
  r1.transmit(Uint8Array.of(3));
  await p2.until(() => p2.received.length === 1, 'a frame from the radio that ignored the bad fix');
  assert.equal(r1.stats.ignoredPositions, 1);
  await r1.close();
  await r2.close();
  await second.close();
});

test('the air answers a malformed hello with a refusal and hangs up, instead of leaving the client waiting', { timeout: 20_000 }, async () => {
  const { air: a, port } = await air();
  const c = await bareClient(port);
  c.socket.write('{"type":"hello","nodeId":1,"latitude":null,"longitude":29,"params":{"sf":7,"bandwidthHz":250000,"codingRate":1,"frequencyHz":869525000}}\n');
  await c.closed();
  const refusal = c.messages.find((m) => m.type === 'refused');
  assert.ok(refusal && refusal.type === 'refused', `a refusal before the air hung up: ${JSON.stringify(c.messages)}`);
  assert.match(refusal.message, /hello needs nodeId, latitude/);
  assert.equal(a.stats.nodes, 0);
  await a.close();
});

test('a radio gives up on an air that never answers hello, and keeps retrying while it rejoins', { timeout: 20_000 }, async () => {
  const held = await heldAir();
  const r = new AirRadio({ nodeId: 1, params, position: HOME, port: held.port, helloTimeoutMs: 100 });
  await assert.rejects(r.open(), isAirUnavailable(/did not answer hello within 100 ms/));
  assert.equal(r.state, 'closed');
  await held.close();

  // The rejoining radio's hello timeout and retry delay run on a clock the test moves: its first join,
  // against a real air, must not fail because the machine was busy for longer than 100 ms right then.
  const clock = new SimScheduler(0);
  const first = new SimAir({ params, port: 0 });
  const port = await first.listen();
  const r1 = new AirRadio({ nodeId: 1, params, position: HOME, port, reconnectMs: 20, helloTimeoutMs: 100, scheduler: clock });
  const joining = r1.open();
  busyMachinePause(150);
  await joining;
  await first.close();
  await reaches(r1, 'recovering');
  const silent = await onSamePort(() => heldAir(port));
  assert.equal(clock.runUntilIdle(1), 1, 'the retry delay ran out');
  await silent.untilHellos(1);
  assert.equal(clock.runUntilIdle(1), 1, 'the hello timeout ran out'); // the radio hangs up and schedules its next try
  await silent.untilHangups(1);
  assert.equal(clock.runUntilIdle(1), 1, 'the next retry delay ran out');
  // A second hello means the first attempt timed out and the retry loop went on.
  await silent.untilHellos(2);
  assert.equal(r1.state, 'recovering');
  await r1.close();
  await silent.close();
});

for (const during of ['the first join', 'a rejoin'] as const) {
  test(`close() during ${during} ends the connection and the radio stays closed`, { timeout: 20_000 }, async () => {
    let r: AirRadio;
    let held: Awaited<ReturnType<typeof heldAir>>;
    let opening: Promise<void> | undefined;
    if (during === 'the first join') {
      held = await heldAir();
      r = new AirRadio({ nodeId: 1, params, position: HOME, port: held.port });
      opening = r.open();
      opening.catch(() => undefined);
    } else {
      const first = new SimAir({ params, port: 0 });
      const port = await first.listen();
      r = await radio(port, 1);
      await first.close();
      await reaches(r, 'recovering');
      held = await onSamePort(() => heldAir(port));
    }
    const states: string[] = [];
    r.onStateChange((s) => states.push(s));
    await held.untilHellos(1);
    const conn = held.sockets[0]!;
    const gone = once(conn, 'close');
    await r.close();
    // A welcome crossing the close on the wire must not bring the radio back.
    if (!conn.destroyed) conn.write(encodeAirMessage({ type: 'welcome' }));
    await gone;
    if (opening) await assert.rejects(opening, isAirUnavailable(/closed while joining/));
    assert.deepEqual(states, ['closed']);
    assert.equal(r.state, 'closed');
    await held.close();
  });
}

test('a closed radio leaves nothing behind that keeps the process alive', { timeout: 30_000 }, async () => {
  const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
  // Timeouts and retry delays far beyond the deadline below: if any survived close(), the child would not exit.
  const script = `
    import { createServer } from 'node:net';
    import { once } from 'node:events';
    import { loraParams } from '@unibos/mesh-protocol';
    const { AirRadio } = await import(${url('../src/radio/air-radio.ts')});
    const { SimAir } = await import(${url('../src/radio/sim-air.ts')});
    const params = loraParams('ShortFast');
    const position = { latitude: 41, longitude: 29 };
    const silent = createServer((s) => s.on('error', () => {}));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const joining = new AirRadio({ nodeId: 1, params, position, port: silent.address().port, helloTimeoutMs: 600000 });
    silent.once('connection', () => joining.close());
    await joining.open().catch(() => {});
    silent.close();
    const air = new SimAir({ params, port: 0 });
    const rejoining = new AirRadio({ nodeId: 2, params, position, port: await air.listen(), reconnectMs: 600000, helloTimeoutMs: 600000 });
    await rejoining.open();
    const lost = new Promise((resolve) => rejoining.onStateChange((s) => s === 'recovering' && resolve()));
    await air.close();
    await lost;
    await rejoining.close();
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(deadline);
  assert.equal(signal, null, `still running 20 s after everything was closed\n${stderr}`);
  assert.equal(code, 0, stderr);
});

test('an exception from the router is counted and the radio keeps working', { timeout: 20_000 }, async () => {
  const { air: a, port } = await air();
  const r1 = await radio(port, 1);
  const r2 = await radio(port, 2, east(0.3));
  const p1 = new RadioProbe(r1);
  const events = new EventWaiter();
  let heard = 0;
  let done = 0;
  r2.attach({
    onReceive: () => {
      heard++;
      events.wake();
      throw new Error('router bug on receive');
    },
    onTransmitDone: () => {
      done++;
      events.wake();
      throw new Error('router bug on transmit done');
    },
  });
  r2.transmit(Uint8Array.of(1));
  await events.until(() => done === 1, 'r2 transmit done', 10_000);
  for (let i = 1; i <= 2; i++) {
    r1.transmit(Uint8Array.of(i));
    await events.until(() => heard === i, `r2 to hear frame ${i}`, 10_000);
    await p1.until(() => p1.done.length === i, 'r1 transmit done');
  }
  assert.equal(r2.stats.listenerErrors, 3);
  assert.equal(r2.state, 'ready');
  await r1.close();
  await r2.close();
  await a.close();
});

test('the air cuts off a connection that does not say hello in time', { timeout: 20_000 }, async () => {
  const a = new SimAir({ params, port: 0, helloTimeoutMs: 100 });
  const silent = await bareClient(await a.listen());
  await silent.closed();
  assert.equal(a.stats.helloTimeouts, 1);
  await a.close();
});

test('closing the air does not wait for connections that never said hello', { timeout: 20_000 }, async () => {
  const events = new EventWaiter();
  let badLines = 0;
  const a = new SimAir({
    params,
    port: 0,
    onEvent: (e) => {
      if (e.event === 'bad-line') badLines++;
      events.wake();
    },
  });
  const lingering = await bareClient(await a.listen());
  // A bad line proves the air has accepted the connection before we close it.
  lingering.socket.write('{"type":"move","latitude":41,"longitude":29}\n');
  await events.until(() => badLines === 1, 'the move before hello to be counted', 10_000);
  await a.close();
  await lingering.closed();
});

test('the air drops what a member that stops reading would hear, instead of queueing it', { timeout: 60_000 }, async () => {
  let markSlow!: () => void;
  const slow = new Promise<void>((resolve) => (markSlow = resolve));
  const a = new SimAir({ params, port: 0, onEvent: (e) => e.event === 'slow-member' && e.nodeId === 9 && markSlow() });
  const port = await a.listen();
  const r1 = await radio(port, 1);
  const p1 = new RadioProbe(r1);
  const s = connect({ port, host: '127.0.0.1' });
  s.on('error', () => undefined);
  await once(s, 'connect');
  s.write(encodeAirMessage({ type: 'hello', nodeId: 9, ...east(0.3), params: airParams(params) }));
  await once(s, 'data');
  s.pause();
  // Each tx earns a tx-done the member never reads; keep sending until the air notices it is not keeping up.
  const burst = encodeAirMessage({ type: 'tx', frame: Uint8Array.of(1) }).repeat(2000);
  let flooding = true;
  let sent = 0;
  void slow.then(() => (flooding = false));
  // Bounded, so an air that buffers without limit fails here rather than exhausting memory.
  while (flooding && sent < 64 * 1024 * 1024) {
    await Promise.race([new Promise<void>((resolve) => s.write(burst, () => resolve())), slow]);
    sent += burst.length;
  }
  assert.equal(flooding, false, `the air never reported member 9 as slow after ${sent} bytes of tx it did not read the answers to`);
  r1.transmit(Uint8Array.of(7));
  await p1.until(() => p1.done.length === 1, 'r1 transmit done');
  assert.equal(p1.done[0]!.ok, true);
  assert.ok(a.stats.slowClientDrops >= 1, `carrier and rx for the slow member dropped: ${a.stats.slowClientDrops}`);
  s.destroy();
  await r1.close();
  await a.close();
});
