// The hub entry of cctv (mounted at /api/v1/modules/cctv/), for a hub that sits with its cameras
// (a Pi running hub and cameras, the usual off-grid home). Checks that OpenCV loads — without it
// the setup fails with "unavailable: <why>" while everything else runs: settled when OpenCV is not
// installed (ModuleUnavailable: it takes a build and a restart, so retrying would only spawn
// workers), retried with backoff when the worker merely failed to start —, starts the configured
// cameras (an unreachable camera is retried by the camera itself), and publishes each motion
// event, through the privacy gate, on the org's event stream. Media stays in the node's media folder.
// A thumbnail is kept in the module's own store (the newest MAX_HUB_EVENTS per org) and never goes on
// the event stream, which the hub keeps far longer: an event names its id (never reused), and
// GET /events/:id has the picture while it is kept, 404 after.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { ModuleNotReady, ModuleUnavailable, type ModulePlugin } from '@unibos/module-api';
import { CctvError } from './cctv-error.ts';
import { CCTV_EVENT } from './cctv-events.ts';
import { forViewer } from './camera-view.ts';
import { cctvRoutes } from './cctv-routes.ts';
import { CctvService, type CctvServiceOptions } from './cctv-service.ts';
import { readSettings } from './cctv-settings.ts';
import { HubEventStore } from './hub-event-store.ts';
import { forHub, type HubMotionEvent } from './privacy-gate.ts';

/**
 * Motion events kept per org at the hub, the newest (each may carry a thumbnail); the oldest is
 * evicted for each new one, so a busy camera cannot fill the hub's disk.
 */
export const MAX_HUB_EVENTS = 1000;

/** Tests swap sources and workers here; the hub passes nothing. */
export const testHooks: { service?: Partial<CctvServiceOptions> } = {};

const plugin: ModulePlugin = async (app, { module: m }) => {
  const settings = readSettings(m.settings);
  const dataDir = process.env.UNIBOS_CCTV_DATA_DIR || join(homedir(), '.local', 'share', 'unibos');
  const service = new CctvService({ settings, dataDir, ...testHooks.service });
  const events = new HubEventStore({ collection: m.store.collection<HubMotionEvent>('events'), max: MAX_HUB_EVENTS, now: () => m.now() });
  // Whose cameras these are: the org the settings name, else the hub's own, not every org on the hub.
  const orgs = (): string[] => {
    if (settings.orgId) return [settings.orgId];
    const own = m.fleet.hubOrg();
    return own ? [own] : [];
  };

  service.on('motion', (e, { upload }) => {
    const id = events.newId();
    const data = { id, ...forHub(e, upload) };
    const { thumbnail: _kept, ...news } = data;
    for (const orgId of orgs()) {
      events.put(orgId, id, data);
      m.events.publish(orgId, CCTV_EVENT.MOTION, news);
    }
  });
  service.on('state', (state) => {
    // Every member of the org gets these: the source only as where it points.
    const st = forViewer(state);
    for (const orgId of orgs()) m.events.publish(orgId, CCTV_EVENT.CAMERA_STATUS, { camera: st.id, state: st.state, reason: st.reason, problem: st.problem });
  });
  // Listening before the cameras start: a motion or a state in their first frames is not lost.
  try {
    await service.start();
  } catch (err) {
    // Not started: its cameras' "stopped" is no news to the org (and it comes at every retry).
    service.removeAllListeners();
    await service.stop();
    if (err instanceof CctvError && err.code === 'E_CCTV_UNAVAILABLE') {
      const options = err.problem ? { problem: err.problem } : {};
      throw err.permanent ? new ModuleUnavailable(`unavailable: ${err.message}`, options) : new ModuleNotReady(`unavailable: ${err.message}`, options);
    }
    throw err;
  }
  app.addHook('onClose', async () => service.stop());
  await app.register(cctvRoutes, { module: m, service, events, orgs });
};

export default plugin;
