// Assembly points an admin sets (name, position, capacity): kept per org and sent as a text to
// every node within range, so people with a node know where to go without the hub.

import type { ModuleCollection } from '@unibos/module-api';
import { MESH_TEXT_MAX_BYTES, truncateUtf8 } from '@unibos/mesh-protocol';

export interface AssemblyPoint {
  id: string;
  name: string;
  latitude: number;
  longitude: number;
  capacity: number | null;
  createdAt: number;
  createdBy: string;
  /** Nodes it was sent to, and those it could not reach (no gateway heard them). */
  sentTo: string[];
  unreachable: string[];
}

/** The text a node shows: the name shortened (whole characters, any script) so that where it is always fits one frame. */
export function assemblyPointText(p: Pick<AssemblyPoint, 'name' | 'latitude' | 'longitude' | 'capacity'>): string {
  const head = 'Assembly point: ';
  const tail = ` at ${p.latitude.toFixed(5)},${p.longitude.toFixed(5)}${p.capacity ? `, room for ${p.capacity}` : ''}`;
  const bytes = (s: string): number => new TextEncoder().encode(s).length;
  return head + truncateUtf8(p.name, MESH_TEXT_MAX_BYTES - bytes(head) - bytes(tail)) + tail;
}

export class AssemblyPoints {
  constructor(private readonly points: ModuleCollection<AssemblyPoint>) {}

  put(orgId: string, p: AssemblyPoint): AssemblyPoint {
    this.points.put(orgId, p.id, p);
    return p;
  }

  list(orgId: string): AssemblyPoint[] {
    return this.points.list(orgId, { limit: 500 }).map((d) => d.doc).sort((a, b) => a.name.localeCompare(b.name));
  }

  delete(orgId: string, id: string): boolean {
    return this.points.delete(orgId, id);
  }
}
