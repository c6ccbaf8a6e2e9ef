// A node configured with the cctv module and a camera, on a machine without OpenCV: the node starts
// and runs, and `unibos status` (GET /status) shows cctv with "unavailable: <why>"; with OpenCV it
// shows each camera's state. A node with no camera at all is told so instead.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loraParams } from '@unibos/mesh-protocol';
import { callNode } from '../src/control/control-client.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import type { InboxMessage } from '../src/node/inbox.ts';
import type { NodeStatus } from '../src/node/node-status.ts';
import { nodeAbilities, unsupportedOnNode } from '../src/node/module-platform.ts';
import { runNode, type RunningNode } from '../src/node/run-node.ts';
import { SimAir } from '../src/radio/sim-air.ts';
import { findOpenCv } from '../../modules/cctv/src/motion/opencv-loader.ts';

const opencv = findOpenCv();
const skip = opencv.ok ? false : process.env.UNIBOS_REQUIRE_OPENCV === '1' ? (() => { throw new Error(`UNIBOS_REQUIRE_OPENCV=1 and ${opencv.reason}`); })() : opencv.reason;

async function cameraNode(root: string, port: number, options: Record<string, unknown> = {}): Promise<{ node: RunningNode; dataDir: string }> {
  const dataDir = join(root, 'cam');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ moduleOptions: { cctv: { mediaDir: join(root, 'media'), cameras: [{ id: 'yard', name: 'Yard', source: 'synthetic:walker', width: 160, height: 120, fps: 15 }], ...options } } }));
  const node = await runNode(loadNodeConfig({ env: {}, flags: { preset: 'ShortFast', 'http-port': 'off', air: `127.0.0.1:${port}`, lat: '41', lon: '29', name: 'Cam', 'data-dir': dataDir, module: 'cctv' } }), { logger: pino({ level: 'silent' }), env: {} });
  return { node, dataDir };
}

test('without OpenCV a node with the cctv module starts, and its status says "unavailable: <why>"', async () => {
  const before = process.env.UNIBOS_OPENCV4NODEJS;
  process.env.UNIBOS_OPENCV4NODEJS = 'off';
  const root = mkdtempSync(join(tmpdir(), 'unibos-cctv-node-'));
  const air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  const port = await air.listen();
  let node: RunningNode | null = null;
  try {
    const started = await cameraNode(root, port);
    node = started.node;
    const dataDir = started.dataDir;
    const status = await callNode<NodeStatus>(dataDir, 'GET', '/status');
    const cctv = status.modules.find((m) => m.name === 'cctv');
    assert.ok(cctv, 'cctv is listed');
    assert.equal(cctv.state, 'failed');
    assert.match(cctv.reason!, /unavailable: OpenCV is switched off \(UNIBOS_OPENCV4NODEJS=off\)/);
    // The node itself runs on: it still sends into the mesh.
    assert.equal(typeof node.device.sendText('still here').packetId, 'number');
  } finally {
    await node?.stop();
    await air.close();
    rmSync(root, { recursive: true, force: true });
    if (before === undefined) delete process.env.UNIBOS_OPENCV4NODEJS;
    else process.env.UNIBOS_OPENCV4NODEJS = before;
  }
});

test('with OpenCV, the node status shows each camera of cctv', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-cctv-node-'));
  const air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  const port = await air.listen();
  let node: RunningNode | null = null;
  try {
    const started = await cameraNode(root, port);
    node = started.node;
    const cctv = (await callNode<NodeStatus>(started.dataDir, 'GET', '/status')).modules.find((m) => m.name === 'cctv');
    assert.equal(cctv?.state, 'loaded');
    assert.match(cctv!.reason!, /^yard (starting|live)$/);
  } finally {
    await node?.stop();
    await air.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('with meshAlerts on, motion on a node camera goes into the mesh as a short text, and no picture', { skip }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-cctv-node-'));
  const air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  const port = await air.listen();
  const nodes: RunningNode[] = [];
  try {
    const listenerDir = join(root, 'listener');
    const listener = await runNode(loadNodeConfig({ env: {}, flags: { preset: 'ShortFast', 'http-port': 'off', air: `127.0.0.1:${port}`, lat: '41.001', lon: '29', name: 'Home', 'data-dir': listenerDir } }), { logger: pino({ level: 'silent' }), env: {} });
    nodes.push(listener);
    const heard = new Promise<InboxMessage>((resolve) => listener.device.on('message', (m) => m.text.startsWith('CCTV') && resolve(m)));
    const started = await cameraNode(root, port, { meshAlerts: true, clipSeconds: 0 });
    nodes.push(started.node);
    const m = await heard;
    assert.equal(m.kind, 'text');
    assert.equal(m.from, started.node.device.nodeId);
    assert.match(m.text, /^CCTV Yard: motion in frame \d\d:\d\dZ$/);
  } finally {
    for (const n of nodes.reverse()) await n.stop();
    await air.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a node has a camera when its module options name one; without, requires_camera is the reason', () => {
  const base = loadNodeConfig({ env: {}, flags: { lat: '41', lon: '29', 'data-dir': tmpdir() } });
  const needs = { platforms: ['linux', 'raspberry_pi'], capabilities: { requires_camera: true } };
  const withCamera = { ...base, moduleOptions: { cctv: { cameras: [{ id: 'gate', source: 'rtsp://10.0.0.9/stream' }] } } };
  assert.equal(unsupportedOnNode(needs, nodeAbilities(withCamera, () => '')), null);
  const without = nodeAbilities({ ...base, moduleOptions: {} }, () => '');
  // A machine with a V4L2 device has a camera whatever the options say.
  if (!without.provides.requires_camera) assert.match(unsupportedOnNode(needs, without)!, /requires_camera is set, and this node has no camera/);
});
