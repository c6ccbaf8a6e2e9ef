// Assembly points an admin sets (name, position, capacity): kept per org and sent as a text to
// every node within range, so people with a node know where to go without the hub.

import type { ModuleCollection } from '@unibos/module-api';

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

/** The text a node shows: short enough for one frame. */
export function assemblyPointText(p: Pick<AssemblyPoint, 'name' | 'latitude' | 'longitude' | 'capacity'>): string {
  const cap = p.capacity ? `, room for ${p.capacity}` : '';
  return `Assembly point: ${p.name.slice(0, 60)} at ${p.latitude.toFixed(5)},${p.longitude.toFixed(5)}${cap}`;
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
