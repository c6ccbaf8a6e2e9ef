// The node as a module manifest's `platforms` and `capabilities` see it, and why a module cannot
// run here. A node always has a LoRa radio (simulated or real); GPS only when one is configured;
// a camera when it has a V4L2 device or its module options name cameras (RTSP, MJPEG).

import { readFileSync, readdirSync } from 'node:fs';
import type { NodeConfig } from './node-config.ts';

export type NodePlatform = 'linux' | 'macos' | 'windows' | 'raspberry_pi';

export interface NodeAbilities {
  platform: NodePlatform;
  /** A Raspberry Pi also runs what is built for plain Linux. */
  alsoLinux: boolean;
  provides: { requires_lora: boolean; requires_gps: boolean; requires_camera: boolean };
}

/** What the manifest check needs of a module; the module-api type is loaded only with a module. */
interface ManifestNeeds {
  platforms: readonly string[];
  capabilities: Partial<Record<string, boolean>>;
}

export function nodeAbilities(config: NodeConfig, model: () => string = readBoardModel): NodeAbilities {
  const pi = process.platform === 'linux' && /raspberry pi/i.test(model());
  const platform: NodePlatform = pi ? 'raspberry_pi' : process.platform === 'darwin' ? 'macos' : process.platform === 'win32' ? 'windows' : 'linux';
  return { platform, alsoLinux: pi, provides: { requires_lora: true, requires_gps: config.gps.type !== 'none', requires_camera: hasCamera(config) } };
}

function hasCamera(config: NodeConfig): boolean {
  if (Object.values(config.moduleOptions ?? {}).some((o) => Array.isArray(o?.cameras) && o.cameras.length > 0)) return true;
  try {
    return readdirSync('/dev').some((d) => /^video\d+$/.test(d));
  } catch {
    return false;
  }
}

/** Null when the module can run on this node, else the reason in words. */
export function unsupportedOnNode(manifest: ManifestNeeds, node: NodeAbilities): string | null {
  const p = manifest.platforms;
  if (!p.includes(node.platform) && !(node.alsoLinux && p.includes('linux'))) return `runs on ${p.join(', ')}; this node is ${node.platform}`;
  for (const cap of ['requires_lora', 'requires_gps', 'requires_camera'] as const) {
    if (manifest.capabilities[cap] && !node.provides[cap]) return `${cap} is set, and this node has no ${cap.slice('requires_'.length)}${cap === 'requires_gps' ? ' (gps.type none)' : ''}`;
  }
  return null;
}

function readBoardModel(): string {
  try {
    return readFileSync('/proc/device-tree/model', 'utf8');
  } catch {
    return '';
  }
}
