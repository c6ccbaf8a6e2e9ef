// The machine the hub runs on, as a manifest's `platforms` and `capabilities` see it, and the
// check that turns a mismatch into a reason the module cannot run here.

import { readFileSync } from 'node:fs';
import { moduleReason, type ModuleCapability, type ModuleManifest, type ModulePlatform, type ModuleReason } from '@unibos/module-api';

export interface HostPlatform {
  platform: ModulePlatform;
  /** Also a Linux host: a Raspberry Pi runs modules made for either. */
  alsoLinux: boolean;
  /** What this host can give a module that requires it. */
  provides: Partial<Record<ModuleCapability, boolean>>;
}

export function detectHostPlatform(): HostPlatform {
  const pi = process.platform === 'linux' && isRaspberryPi();
  const platform: ModulePlatform = pi ? 'raspberry_pi' : process.platform === 'darwin' ? 'macos' : process.platform === 'win32' ? 'windows' : 'linux';
  // The hub reaches the LoRa mesh through its gateways, so `requires_lora` holds at any hub;
  // GPS is the nodes' (their device handlers), not the hub's. Cameras a hub can reach too (RTSP and
  // MJPEG over the network, or a V4L2 device where it sits with them): a camera module that finds
  // none says "unavailable: ..." itself.
  return { platform, alsoLinux: pi, provides: { requires_lora: true, requires_gps: false, requires_camera: true } };
}

function isRaspberryPi(): boolean {
  try {
    return /raspberry pi/i.test(readFileSync('/proc/device-tree/model', 'utf8'));
  } catch {
    return false;
  }
}

/** Why `manifest` cannot run on `host`, or null. */
export function unsupportedReason(manifest: ModuleManifest, host: HostPlatform): ModuleReason | null {
  const platforms = manifest.platforms;
  if (!platforms.includes(host.platform) && !(host.alsoLinux && platforms.includes('linux'))) {
    return moduleReason('host.unsupported_platform', { platforms: platforms.join(', '), platform: host.platform }, `runs on ${platforms.join(', ')}; this hub is ${host.platform}`);
  }
  for (const cap of ['requires_lora', 'requires_gps', 'requires_camera'] as const) {
    if (manifest.capabilities[cap] && !host.provides[cap]) return moduleReason('host.unsupported_capability', { capability: cap.replace('requires_', '') }, `${cap.replace('requires_', 'needs ')}, which this hub does not have`);
  }
  return null;
}
