// A gateway without a hub has no use for mqtt.js (~18 MB resident on a Pi Zero's 512 MB): it is
// loaded at the uplink's first connection, not with the package. Each case starts a real gateway
// (through the package's public face) in a child process and lists the packages it has loaded.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = mkdtempSync(join(tmpdir(), 'unibos-gw-lazy-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Starts a gateway (with `hubUrl` as its hub, if given) and says whether mqtt.js got loaded. */
function loadsMqtt(name: string, hubUrl?: string): Promise<boolean> {
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
    const hubUrl = ${JSON.stringify(hubUrl ?? null)};
    const gw = await runGateway(config, { mqttHost: '127.0.0.1', mqttPort: 0, wsPort: null, allowAnonymous: false, hub: hubUrl ? { url: hubUrl } : undefined }, { logger: pino({ level: 'silent' }) });
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => /node_modules\\/mqtt\\//.test(f));
    await gw.stop();
    await air.close();
    process.stdout.write(JSON.stringify(loaded));
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the gateway failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout) as boolean);
    });
  });
}

test('a gateway without a hub does not load mqtt.js', async () => {
  assert.equal(await loadsMqtt('no-hub'), false);
});

test('a gateway with a hub loads mqtt.js for its uplink', async () => {
  // Nothing listens there: the uplink still makes its client and keeps retrying in the background.
  assert.equal(await loadsMqtt('hub', 'mqtt://127.0.0.1:9'), true);
});
