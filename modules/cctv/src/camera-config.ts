// One camera as an admin configures it (module settings on a hub, moduleOptions on a node),
// parsed into a typed value with each problem named by its field; and the source it names.

import { CctvError } from './cctv-error.ts';
import type { CameraSource } from './sources/camera-source.ts';
import { FfmpegSource } from './sources/ffmpeg-source.ts';
import { MjpegHttpSource } from './sources/mjpeg-http-source.ts';
import { SCENES, SyntheticSource } from './sources/synthetic-source.ts';
import { parseZones, type Zone } from './zones.ts';

export interface CameraConfig {
  id: string;
  name: string;
  /** /dev/videoN, rtsp://..., http(s)://... (MJPEG), file:/path, synthetic:NAME */
  source: string;
  width: number;
  height: number;
  fps: number;
  /** The admin allowed thumbnails of this camera to leave the node. Off by default. */
  upload: boolean;
  zones: Zone[];
}

export function parseCameras(value: unknown, where = 'cameras'): CameraConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CctvError('E_CCTV_CONFIG', `${where}: must be a list`);
  const seen = new Set<string>();
  return value.map((c, i) => {
    const at = `${where}[${i}]`;
    if (typeof c !== 'object' || c === null) throw new CctvError('E_CCTV_CONFIG', `${at}: must be an object`);
    const o = c as Record<string, unknown>;
    const id = o.id;
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(id)) throw new CctvError('E_CCTV_CONFIG', `${at}.id: 1-32 lower-case letters, digits, _ or -`);
    if (seen.has(id)) throw new CctvError('E_CCTV_CONFIG', `${at}.id: "${id}" is used twice`);
    seen.add(id);
    const source = o.source;
    if (typeof source !== 'string' || !/^(\/dev\/video\d+|rtsps?:\/\/.+|https?:\/\/.+|file:.+|synthetic:[a-z]+)$/.test(source)) {
      throw new CctvError('E_CCTV_CONFIG', `${at}.source: /dev/videoN, rtsp://..., http(s)://... (MJPEG), file:/path or synthetic:NAME`);
    }
    // Here, not only when the camera starts: a scene that does not exist is refused with the settings (module.json names the same scenes).
    if (source.startsWith('synthetic:') && !Object.hasOwn(SCENES, source.slice('synthetic:'.length))) {
      throw new CctvError('E_CCTV_CONFIG', `${at}.source: no synthetic scene "${source.slice('synthetic:'.length)}" (${Object.keys(SCENES).join(', ')})`);
    }
    // Absent takes the default; null is a value, refused as the hub's schema refuses it (`??` took it for absent).
    const int = (key: string, def: number, min: number, max: number): number => {
      const v = o[key] === undefined ? def : o[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new CctvError('E_CCTV_CONFIG', `${at}.${key}: an integer from ${min} to ${max}`);
      return v;
    };
    if (o.upload !== undefined && typeof o.upload !== 'boolean') throw new CctvError('E_CCTV_CONFIG', `${at}.upload: true or false`);
    const name = o.name === undefined ? id : o.name;
    // Counted in characters, as JSON Schema's maxLength (the hub) counts them: an emoji is one, not two UTF-16 units.
    if (typeof name !== 'string' || [...name].length > 60) throw new CctvError('E_CCTV_CONFIG', `${at}.name: text of at most 60 characters`);
    return { id, name, source, width: int('width', 640, 16, 3840), height: int('height', 480, 16, 2160), fps: int('fps', 5, 1, 30), upload: o.upload === true, zones: parseZones(o.zones, `${at}.zones`) };
  });
}

export function sourceFor(c: CameraConfig): CameraSource {
  if (c.source.startsWith('synthetic:')) {
    const name = c.source.slice('synthetic:'.length);
    const scene = SCENES[name];
    if (!scene) throw new CctvError('E_CCTV_CONFIG', `${c.id}.source: no synthetic scene "${name}" (${Object.keys(SCENES).join(', ')})`);
    const s = scene(c.width, c.height);
    return new SyntheticSource({ ...s, fps: c.fps, startMs: Date.now() }, name, 1000 / c.fps);
  }
  if (/^https?:\/\//.test(c.source)) return new MjpegHttpSource(c.source);
  const input = c.source.startsWith('file:') ? c.source.slice('file:'.length) : c.source;
  return new FfmpegSource({ input, width: c.width, height: c.height, fps: c.fps });
}
