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

/** Assembly points an org may have: all of them are listed (more would be kept and never shown). */
export const MAX_ASSEMBLY_POINTS = 500;

export class AssemblyPoints {
  constructor(private readonly points: ModuleCollection<AssemblyPoint>) {}

  put(orgId: string, p: AssemblyPoint): AssemblyPoint {
    this.points.put(orgId, p.id, p);
    return p;
  }

  list(orgId: string): AssemblyPoint[] {
    return this.points.list(orgId, { limit: MAX_ASSEMBLY_POINTS }).map((d) => d.doc).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** How many the org has, up to one more than are listed. */
  count(orgId: string): number {
    return this.points.list(orgId, { limit: MAX_ASSEMBLY_POINTS + 1 }).length;
  }

  delete(orgId: string, id: string): boolean {
    return this.points.delete(orgId, id);
  }
}
