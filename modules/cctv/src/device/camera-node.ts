// cctv on a field node (`unibos node --module cctv`, cameras in moduleOptions.cctv): runs the
// node's cameras, keeps snapshots and clips on the node, and — when meshAlerts is on — puts a
// short text into the mesh for each motion event (no picture: none fits a LoRa frame, and none
// leaves the node). Without OpenCV the setup throws "unavailable: <why>", which `unibos status`
// shows, and the node runs on without it.

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
  const dataDir = typeof options.dataDir === 'string' ? options.dataDir : join(process.cwd(), 'data');
  const service = new CctvService({ settings, dataDir });
  let stopped = false;
  service.on('motion', (e) => {
    device.store.set('lastMotion', { camera: e.camera, zone: e.zone, ts: e.ts });
    if (settings.meshAlerts) device.sendText(meshText(e));
  });
  service.on('state', (st) => device.store.set(`camera.${st.id}`, { state: st.state, reason: st.reason }));
  // A start that fails (the worker could not load OpenCV after all) is recorded where `unibos status` reads it.
  void service.start().catch((err: Error) => {
    if (!stopped) device.store.set('unavailable', `unavailable: ${err.message}`);
  });
  return {
    stop: () => {
      stopped = true;
      void service.stop();
    },
  };
};

export default cameraNode;
