// A gateway whose MQTT-over-WebSocket listener is off (--ws-port off) has no use for `ws`: it is
// loaded when that listener is configured, not with the broker. Each case starts a real gateway
// (through the package's public face) in a child process and says whether `ws` got loaded.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = mkdtempSync(join(tmpdir(), 'unibos-gw-lazy-ws-'));
after(() => rmSync(root, { recursive: true, force: true }));

function loadsWs(name: string, wsPort: number | null): Promise<{ loaded: boolean; ws: number | null }> {
  const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const script = `
    import { createRequire } from 'node:module';
    import pino from 'pino';
    import { SimAir, loadNodeConfig } from '@unibos/firmware';
    import { loraParams } from '@unibos/mesh-protocol';
    import { runGateway } from ${JSON.stringify(index)};
    const air = new SimAir({ params: loraParams('LongFast'), port: 0 });
    const port = await air.listen();
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': ${JSON.stringify(join(root, name))}, 'http-port': 'off', lat: '41', lon: '29', air: '127.0.0.1:' + port } });
    const gw = await runGateway(config, { mqttHost: '127.0.0.1', mqttPort: 0, wsPort: ${JSON.stringify(wsPort)}, allowAnonymous: false }, { logger: pino({ level: 'silent' }) });
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => /node_modules\\/ws\\//.test(f));
    const ws = gw.broker.ports.ws;
    await gw.stop();
    await air.close();
    process.stdout.write(JSON.stringify({ loaded, ws }));
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the gateway failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout) as { loaded: boolean; ws: number | null });
    });
  });
}

test('a gateway with the WebSocket listener off does not load ws', async () => {
  assert.deepEqual(await loadsWs('off', null), { loaded: false, ws: null });
});

test('a gateway with a WebSocket listener loads ws and listens', async () => {
  const got = await loadsWs('on', 0);
  assert.equal(got.loaded, true);
  assert.ok(typeof got.ws === 'number' && got.ws > 0, `listening on ${got.ws}`);
});
