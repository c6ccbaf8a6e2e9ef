// Field devices on the in-process simulated medium, on simulated time, for the bridge tests: each
// with its own scratch data dir and node database; after the test they are stopped (newest
// first), their databases closed and their folders removed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, loraParams, type Link } from '@unibos/mesh-protocol';
import { Device, loadNodeConfig, loadOrCreateIdentity, openNodeDb, SimManagedRadio, type Db, type GpsSource } from '@unibos/firmware';

export const params = loraParams('ShortFast');
export const silent = pino({ level: 'silent' });

export interface SimNode {
  device: Device;
  db: Db;
  id: number;
}

export function simMesh(t: { after(fn: () => Promise<void>): void }, options: { seed: number; link: Link; prefix: string }) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(options.seed);
  const medium = new SimMedium({ params, scheduler, random: rng.fork(), link: () => options.link });
  const nodes: Array<SimNode & { dir: string }> = [];
  t.after(async () => {
    for (const n of [...nodes].reverse()) await n.device.stop();
    for (const n of nodes) {
      n.db.close();
      rmSync(n.dir, { recursive: true, force: true });
    }
  });
  /** A node; `flags` add to its command-line settings, `gps` gives it a position source, `dir` an existing data dir (an earlier run's). */
  const make = (name: string, role: string, extra: { flags?: Record<string, string>; gps?: GpsSource; dir?: string } = {}): SimNode => {
    const dir = extra.dir ?? mkdtempSync(join(tmpdir(), `${options.prefix}-${name}-`));
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, preset: 'ShortFast', role, name, ...extra.flags } });
    const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
    const db = openNodeDb(join(dir, 'node.db'));
    const radio = new SimManagedRadio(medium.radio(identity.nodeId), scheduler);
    const device = new Device({ config, identity, db, radio, ...(extra.gps ? { gps: extra.gps } : {}), logger: silent, scheduler, random: rng.fork(), clock: () => 1_800_000_000_000 + scheduler.now() });
    const node = { device, db, id: identity.nodeId, dir };
    nodes.push(node);
    return node;
  };
  return { scheduler, medium, make };
}
