// cctv on a field node (`unibos node --module cctv`, cameras in moduleOptions.cctv): runs the
// node's cameras, keeps snapshots and clips on the node, and — when meshAlerts is on — puts a
// short text into the mesh for each motion event (no picture: none fits a LoRa frame, and none
// leaves the node). Without OpenCV the setup throws "unavailable: <why>", which `unibos status`
// shows, and the node runs on without it; with it, `unibos status` shows each camera's state.
// Media goes to settings.mediaDir, else ~/.local/share/unibos/cctv-media.

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DeviceHandlerFactory } from '@unibos/module-api';
import { CctvError } from '../cctv-error.ts';
import { CctvService } from '../cctv-service.ts';
import { readSettings } from '../cctv-settings.ts';
import { findOpenCv } from '../motion/opencv-loader.ts';
import { meshText } from '../privacy-gate.ts';

const cameraNode: DeviceHandlerFactory = (device, options) => {
  const settings = readSettings(options);
  const found = findOpenCv();
  if (!found.ok) throw new CctvError('E_CCTV_UNAVAILABLE', `unavailable: ${found.reason}`);
  const service = new CctvService({ settings, dataDir: join(homedir(), '.local', 'share', 'unibos') });
  let stopped = false;
  let failed: string | null = null;
  service.on('motion', (e) => {
    device.store.set('lastMotion', { camera: e.camera, zone: e.zone, ts: e.ts });
    if (settings.meshAlerts) device.sendText(meshText(e));
  });
  service.on('state', (st) => device.store.set(`camera.${st.id}`, { state: st.state, reason: st.reason }));
  // A start that fails (the worker could not load OpenCV after all) is recorded where `unibos status` reads it.
  void service.start().catch((err: Error) => {
    if (stopped) return;
    failed = `unavailable: ${err.message}`;
    device.store.set('unavailable', failed);
  });
  return {
    stop: () => {
      stopped = true;
      void service.stop();
    },
    // `unibos status`: "yard live, gate reconnecting (/dev/video1 does not exist)", or why none works.
    status: () => {
      if (failed) return failed;
      const st = service.status();
      return st.reason ?? st.cameras.map((c) => `${c.id} ${c.state}${c.reason ? ` (${c.reason})` : ''}`).join(', ');
    },
  };
};

export default cameraNode;
