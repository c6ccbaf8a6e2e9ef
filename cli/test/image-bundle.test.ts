// `unibos image bundle`, the runtime an image carries: plain JavaScript that runs on Node without
// any TypeScript tooling, production dependencies only, every file in SHA256SUMS, and native addons
// for the target CPU only (a bundle for the wrong CPU is refused, not shipped).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { decodeData, encodeData, encodeEnvelope, type Data, type Envelope } from '@unibos/mesh-protocol';
import { elfArch } from '../image/elf-arch.ts';
import { unibos } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-image-bundle-'));
after(() => rmSync(root, { recursive: true, force: true }));

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

test('the bundle runs on plain Node, holds production dependencies only, and is checksummed', { timeout: 120_000 }, async () => {
  const out = join(root, 'x');
  const made = await unibos(['image', 'bundle', '--out', out, '--tarball', join(root, 'unibos.tar.gz')]);
  assert.equal(made.code, 0, made.stderr);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const version = spawnSync(process.execPath, [join(out, 'bin', 'unibos.js'), '--version'], { env, encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, new RegExp(`^unibos ${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version} `));
  const help = spawnSync(process.execPath, [join(out, 'bin', 'unibos.js'), 'hub', '--help'], { env, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const dev of ['tsx', 'typescript', 'esbuild', '@types/node', 'fast-check', 'playwright-core']) assert.ok(!existsSync(join(out, 'node_modules', dev)), `no ${dev} in the bundle`);
  const all = files(out);
  assert.ok(!all.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources');
  for (const asset of [join('mesh-protocol', 'proto', 'frame.proto'), join('controlplane', 'public', 'index.html')]) assert.ok(existsSync(join(out, asset)), `${asset}, found through import.meta.url, is where the code looks`);
  for (const addon of all.filter((f) => f.endsWith('.node'))) assert.equal(elfArch(addon), process.arch, `${addon} is built for this CPU`);
  // The modules a hub and a node find by folder are there, their manifests naming the compiled entries.
  for (const name of ['birlikteyiz', 'cctv']) {
    const manifest = JSON.parse(readFileSync(join(out, 'modules', name, 'module.json'), 'utf8')) as { entry: Record<string, string> };
    for (const [role, file] of Object.entries(manifest.entry)) assert.ok(existsSync(join(out, 'modules', name, file)) && !file.endsWith('.ts'), `${name}'s ${role} entry ${file} is in the bundle`);
    const hub = (await import(pathToFileURL(join(out, 'modules', name, manifest.entry.hub!)).href)) as { default?: unknown };
    assert.equal(typeof hub.default, 'function', `${name}'s hub plugin loads from the bundle`);
  }
  // The device loads the schema precompiled to JSON, not the .proto text: the same bytes on air.
  assert.ok(existsSync(join(out, 'mesh-protocol', 'proto', 'unibos.v1.json')), 'the schema is precompiled');
  const device = (await import(pathToFileURL(join(out, 'mesh-protocol', 'src', 'index.js')).href)) as typeof import('@unibos/mesh-protocol');
  const samples: Data[] = [
    { text: 'merhaba, su lazım' },
    { position: { latitudeI: 410_000_000, longitudeI: 290_000_000, altitudeM: -3, time: 1_700_000_000, precisionBits: 32, satsInView: 7, fixQuality: 1, groundSpeed: 0, groundTrack: 0 } },
    { alert: { level: 'SOS', text: 'trapped, 2 people', magnitudeX10: 0 } },
  ];
  for (const data of samples) {
    const bytes = encodeData(data);
    assert.deepEqual(device.encodeData(data), bytes, JSON.stringify(data));
    assert.deepEqual(device.decodeData(bytes), decodeData(bytes));
  }
  const envelope: Envelope = { frame: new Uint8Array([1, 2, 3]), gatewayId: '!a1b2c3d4', rssi: -97, snr: -6.5, rxTimeMs: 1_700_000_000_123, frequencyHz: 869_525_000, sf: 9, bandwidthHz: 125_000 };
  assert.deepEqual(device.encodeEnvelope(envelope), encodeEnvelope(envelope));
  execFileSync('sha256sum', ['--quiet', '--strict', '-c', 'SHA256SUMS'], { cwd: out });
  const listed = readFileSync(join(out, 'SHA256SUMS'), 'utf8').trim().split('\n').length;
  assert.equal(listed, all.length - 1, 'every file but SHA256SUMS itself is listed');
  const sum = readFileSync(join(root, 'unibos.tar.gz.sha256'), 'utf8');
  assert.match(sum, /^[0-9a-f]{64} {2}unibos\.tar\.gz\n$/);
  execFileSync('sha256sum', ['--quiet', '-c', 'unibos.tar.gz.sha256'], { cwd: root });
});

test('a bundle for another CPU is refused when a compiled addon cannot be had for it', { timeout: 120_000 }, async () => {
  const other = process.arch === 'arm64' ? 'x64' : 'arm64';
  const made = await unibos(['image', 'bundle', '--arch', other, '--out', join(root, other)]);
  assert.equal(made.code, 2, made.stdout);
  assert.match(made.stderr, new RegExp(`better_sqlite3\\.node is built for ${process.arch}, not ${other}: native addons cannot be cross-built here`));
  assert.match(made.stderr, /on a .* machine .* pass that bundle to images\/build\.sh with --bundle/);
});
