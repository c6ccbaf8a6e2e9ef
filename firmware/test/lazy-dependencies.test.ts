// What a running node has loaded: on a Pi Zero (512 MB for everything) each heavy dependency a
// configuration does not use is memory lost, so the node loads fastify never, and serialport,
// johnny-five and prom-client only when the configuration asks for a modem, a panel or metrics.
// Each case starts a real node (through the package's public face) in a child process and lists
// the packages in its module cache once it is up.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = mkdtempSync(join(tmpdir(), 'unibos-lazy-'));
after(() => rmSync(root, { recursive: true, force: true }));

const HEAVY = ['fastify', 'serialport', '@serialport/stream', 'johnny-five', 'prom-client'];

/** Runs a node with `flags` in a fresh process and returns the heavy packages it loaded. */
function heavyLoaded(name: string, flags: Record<string, string>): Promise<string[]> {
  const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const script = `
    import { createRequire } from 'node:module';
    import pino from 'pino';
    import { SimAir, loadNodeConfig, runNode } from ${JSON.stringify(index)};
    import { loraParams } from '@unibos/mesh-protocol';
    const air = new SimAir({ params: loraParams('LongFast'), port: 0 });
    const port = await air.listen();
    const flags = { ...${JSON.stringify(flags)}, air: '127.0.0.1:' + port };
    const node = await runNode(loadNodeConfig({ env: {}, flags }), { logger: pino({ level: 'silent' }), env: {} });
    const packages = new Set();
    for (const file of Object.keys(createRequire(import.meta.url).cache)) {
      const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file.slice(file.lastIndexOf('node_modules/')));
      if (m) packages.add(m[1]);
    }
    await node.stop();
    await air.close();
    process.stdout.write(JSON.stringify([...packages]));
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`the node failed: ${stderr || err.message}`));
        const loaded = JSON.parse(stdout) as string[];
        resolve(HEAVY.filter((p) => loaded.includes(p)));
      },
    );
  });
}

const base = { lat: '41', lon: '29' };

test('a simulated-radio node without http port, GPS hardware or panel loads none of the heavy dependencies', async () => {
  assert.deepEqual(await heavyLoaded('plain', { ...base, 'data-dir': join(root, 'plain'), 'http-port': 'off' }), []);
});

test('a node that serves health and metrics loads prom-client, and still not fastify', async () => {
  assert.deepEqual(await heavyLoaded('metrics', { ...base, 'data-dir': join(root, 'metrics'), 'http-port': '0' }), ['prom-client']);
});

test('a node with the virtual button panel loads johnny-five', async () => {
  assert.deepEqual(await heavyLoaded('panel', { ...base, 'data-dir': join(root, 'panel'), 'http-port': 'off', gpio: 'virtual' }), ['johnny-five']);
});
