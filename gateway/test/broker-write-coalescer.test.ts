// What the broker writes to a socket in one turn of the event loop leaves as one write, intact and
// in order, with backpressure still reported; a socket closed meanwhile is no error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { coalesceWrites } from '../src/broker/write-coalescer.ts';

/** A connected pair: `server` (coalescing, as the broker's sockets are) and the peer's `client`. */
async function pair(): Promise<{ server: Socket; client: Socket; listener: Server }> {
  const listener = createServer({ noDelay: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const [server] = await accepted;
  coalesceWrites(server);
  return { server, client, listener };
}

test('writes of one turn arrive together, in order, and each completes', async () => {
  const { server, client, listener } = await pair();
  try {
    const chunks: Buffer[] = [];
    const arrived = new Promise<void>((resolve) => client.on('data', (d: Buffer) => chunks.push(d) && resolve()));
    const expected: Buffer[] = [];
    const completions: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const piece = Buffer.from(`packet ${i};`);
      expected.push(piece);
      completions.push(new Promise<void>((resolve, reject) => server.write(i % 2 ? piece : piece.toString('latin1'), (err) => (err ? reject(err) : resolve()))));
    }
    // Nothing has gone out yet: the turn is not over.
    assert.equal(server.writableCorked, 1);
    await arrived;
    await Promise.all(completions);
    assert.equal(chunks.length, 1, 'one arrival for the whole burst');
    assert.deepEqual(chunks[0], Buffer.concat(expected));
  } finally {
    client.destroy();
    server.destroy();
    listener.close();
  }
});

test('reports a full buffer and drains after the held writes go out', async () => {
  const { server, client, listener } = await pair();
  try {
    let received = 0;
    client.on('data', (d: Buffer) => (received += d.length));
    const big = Buffer.alloc(server.writableHighWaterMark);
    assert.equal(server.write(big), false);
    await once(server, 'drain');
    await new Promise<void>((resolve) => {
      const check = (): void => (received === big.length ? resolve() : void client.once('data', check));
      check();
    });
  } finally {
    client.destroy();
    server.destroy();
    listener.close();
  }
});

test('end() right after writes delivers them; destroy() before the turn ends still sends them first, and is no error', async () => {
  const { server, client, listener } = await pair();
  try {
    const data: Buffer[] = [];
    client.on('data', (d: Buffer) => data.push(d));
    server.write('last words');
    server.end();
    await once(client, 'end');
    assert.equal(Buffer.concat(data).toString(), 'last words');

    // A client cut off right after the broker answered it (a refused publish after acknowledged ones) still gets the answers.
    const second = await pair();
    const got: Buffer[] = [];
    second.client.on('data', (d: Buffer) => got.push(d));
    second.server.write('acknowledged');
    second.server.destroy();
    await once(second.server, 'close');
    await once(second.client, 'end');
    assert.equal(Buffer.concat(got).toString(), 'acknowledged');
    second.client.destroy();
    second.listener.close();
  } finally {
    client.destroy();
    listener.close();
  }
});
