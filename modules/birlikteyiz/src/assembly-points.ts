// Assembly points an admin sets (name, position, capacity): kept per org and sent as a text to
// every node within range, so people with a node know where to go without the hub.

import type { ModuleCollection } from '@unibos/module-api';
import { wording, type AlertLanguage } from './alert-wording.ts';

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

/**
 * The text a node shows, in the module's language: the name shortened (whole characters, any
 * script) so that where it is always fits one frame (alert-wording.ts).
 */
export function assemblyPointText(p: Pick<AssemblyPoint, 'name' | 'latitude' | 'longitude' | 'capacity'>, language: AlertLanguage = 'en'): string {
  return wording(language).assemblyPoint(p);
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
