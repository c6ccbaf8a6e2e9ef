// What of a motion event may leave the node. By default only the fact: time, camera, zone, area
// and box; the thumbnail only for a camera whose `upload` an admin turned on. Snapshots, clips
// and frames never leave (the manifest's data_locality says so). Every event for the hub goes
// through here, so there is one place that decides.

import { MESH_TEXT_MAX_BYTES, truncateUtf8 } from '@unibos/mesh-protocol';
import type { MotionEvent } from './camera.ts';

export interface HubMotionEvent {
  [key: string]: unknown;
  /** Its id in the hub's store of motion events, never reused (hub-event-store.ts): GET /events/{id} has its thumbnail. */
  id?: string;
  camera: string;
  cameraName: string;
  time: string;
  zone: string;
  area: number;
  box: { x: number; y: number; w: number; h: number };
  /** A data: URL of the thumbnail, present only when the camera's upload is on. */
  thumbnail: string | null;
  uploaded: boolean;
}

export function forHub(e: MotionEvent, upload: boolean): HubMotionEvent {
  return {
    camera: e.camera,
    cameraName: e.cameraName,
    time: new Date(e.ts).toISOString(),
    zone: e.zone,
    area: e.area,
    box: e.box,
    thumbnail: upload && e.thumbnail ? `data:image/jpeg;base64,${Buffer.from(e.thumbnail).toString('base64')}` : null,
    uploaded: upload && e.thumbnail !== null,
  };
}

/**
 * The short text a node may put into the mesh: no picture ever fits a LoRa frame, nor goes there.
 * The camera's name (any script) is shortened so that the zone and the time always fit one text.
 */
export function meshText(e: MotionEvent): string {
  const head = 'CCTV ';
  const tail = `: motion in ${e.zone} ${new Date(e.ts).toISOString().slice(11, 16)}Z`;
  const bytes = (s: string): number => new TextEncoder().encode(s).length;
  return head + truncateUtf8(e.cameraName, MESH_TEXT_MAX_BYTES - bytes(head) - bytes(tail)) + tail;
}
