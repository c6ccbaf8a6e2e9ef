// The org's nodes and gateways as the page knows them: loaded from /api/v1/nodes, then kept up to
// date from the event stream (node.* events carry the node; mesh.* records refresh its last
// seen, position and battery). Views listen for 'change'.

import { batteryReading } from './format.js';
import { HUB_EVENT, HUB_EVENT_TOPIC } from './hub-events.js';
import { t } from './i18n.js';
import { LoadReplay } from './load-replay.js';

/**
 * @typedef {{ latitude: number, longitude: number, altitudeM?: number | null, time?: string | null }} NodePosition
 * @typedef {{ gatewayId: string, rssi?: number, snr?: number, hops?: number, lastSeen?: string }} HeardBy
 * @typedef {{ id: string, name: string | null, kind: string, online: boolean, lastSeen: string | null,
 *   battery: number | null, snr: number | null, rssi: number | null, position: NodePosition | null,
 *   heardBy: HeardBy[], claimed?: boolean, capabilities?: unknown }} FleetNode
 */

const PAGE = 200;
/** Positions kept per node for its trail on the map. */
const TRAIL = 20;
/** The events that carry a node (gateway.deadletter is filed under nodes too, but names a message). */
const NODE_EVENTS = new Set([HUB_EVENT.NODE_ONLINE, HUB_EVENT.NODE_OFFLINE, HUB_EVENT.NODE_UPDATED, HUB_EVENT.NODE_CLAIMED]);

export class FleetStore extends EventTarget {
  /** @type {Map<string, FleetNode>} */
  nodes = new Map();
  loaded = false;
  /** Events that arrived while a load was in flight: re-applied on top of the snapshot. @type {LoadReplay<import('./event-stream.js').HubEvent>} */
  #replay = new LoadReplay();
  /** Node ids being fetched one by one. */
  #fetching = new Set();

  /** @param {import('./api-client.js').ApiClient} api */
  constructor(api) {
    super();
    this.api = api;
  }

  async load() {
    /** @type {Map<string, FleetNode>} */
    const next = new Map();
    let cursor = null;
    const during = this.#replay.begin();
    try {
      do {
        const params = new URLSearchParams({ limit: String(PAGE) });
        if (cursor) params.set('cursor', cursor);
        const page = await this.api.get(`/api/v1/nodes?${params}`);
        for (const item of page?.items ?? []) {
          const node = normalize(item);
          if (node) next.set(node.id, node);
        }
        cursor = page?.nextCursor ?? null;
      } while (cursor);
    } finally {
      this.#replay.end(during);
    }
    this.nodes = next;
    this.loaded = true;
    for (const event of during) this.apply(event);
    this.#changed(null);
  }

  /** @param {string} id */
  get(id) {
    return this.nodes.get(id);
  }

  /** Where each node has been (oldest first, at most TRAIL points): the map draws it. @type {Map<string, NodePosition[]>} */
  trails = new Map();

  /**
   * @param {string} id
   * @param {NodePosition} p
   */
  #addToTrail(id, p) {
    const trail = this.trails.get(id) ?? [];
    const last = trail.at(-1);
    if (last && last.latitude === p.latitude && last.longitude === p.longitude) return;
    trail.push(p);
    if (trail.length > TRAIL) trail.shift();
    this.trails.set(id, trail);
  }

  /**
   * Earlier positions from the records (once per node), oldest first, before the live ones.
   * @param {string} id
   */
  async loadTrail(id) {
    if (this.#trailLoaded.has(id)) return;
    this.#trailLoaded.add(id);
    try {
      const page = await this.api.get(`/api/v1/records?${new URLSearchParams({ node: id, kind: 'position', limit: String(TRAIL) })}`);
      /** @type {NodePosition[]} */
      const earlier = [];
      for (const r of [...(page?.items ?? [])].reverse()) {
        const p = positionOf(r?.data ?? r);
        if (p) earlier.push({ ...p, time: typeof r.time === 'string' ? r.time : null });
      }
      const live = this.trails.get(id) ?? [];
      this.trails.set(id, []);
      for (const p of [...earlier, ...live]) this.#addToTrail(id, p);
      this.#changed(id);
    } catch {
      // No trail is no harm.
    }
  }

  /** @type {Set<string>} */
  #trailLoaded = new Set();

  /** A node's display name: its name, else its id. @param {string} id */
  label(id) {
    const node = this.nodes.get(id);
    return node?.name ? node.name : id;
  }

  /**
   * What to call a node on screen: its name, else a placeholder that says the hub is asking the
   * node for it (the id stays visible, and is on hover wherever a name is shown).
   * @param {string} id
   */
  display(id) {
    const node = this.nodes.get(id);
    if (node?.name) return node.name;
    return node?.kind === 'gateway' ? t('Gateway {id}', { id }) : t('{id} (name not known yet)', { id });
  }

  /** Sorted for display: online first, then by name. */
  list() {
    return [...this.nodes.values()].sort((a, b) => Number(b.online) - Number(a.online) || this.label(a.id).localeCompare(this.label(b.id)));
  }

  /** @param {import('./event-stream.js').HubEvent} event */
  apply(event) {
    this.#replay.record(event);
    const data = event.data ?? {};
    if (event.type === HUB_EVENT.NODE_FORGOTTEN) {
      // Heard long ago, never claimed: the hub forgot it to keep the fleet within its bound.
      const id = typeof data.id === 'string' ? data.id : null;
      if (id && this.nodes.delete(id)) {
        this.trails.delete(id);
        this.#changed(id);
      }
      return;
    }
    if (NODE_EVENTS.has(event.type)) {
      const id = typeof data.id === 'string' ? data.id : typeof data.nodeId === 'string' ? data.nodeId : null;
      if (!id) return;
      const known = this.nodes.get(id);
      // An event that carries the whole node replaces it; a partial one patches what it names.
      const patch = typeof data.id === 'string' ? normalize(data) : null;
      /** @type {FleetNode} */
      const node = { ...(known ?? blank(id)), ...(patch ? onlyGiven(patch, data) : {}) };
      if (event.type === HUB_EVENT.NODE_ONLINE) node.online = true;
      if (event.type === HUB_EVENT.NODE_OFFLINE) node.online = false;
      if (typeof data.online === 'boolean') node.online = data.online;
      if (typeof data.lastSeen === 'string') node.lastSeen = data.lastSeen;
      this.nodes.set(id, node);
      this.#changed(id);
      // A partial event about a node we have never seen: fetch it whole.
      if (!known && !patch) void this.#fetchOne(id);
      return;
    }
    if (HUB_EVENT_TOPIC[event.type] === 'mesh' && typeof data.nodeId === 'string') {
      const node = this.nodes.get(data.nodeId);
      if (!node) {
        // First heard (the hub announces no node.* event for a node first heard in the past).
        if (this.loaded) void this.#fetchOne(data.nodeId);
        return;
      }
      const time = typeof data.time === 'string' ? data.time : new Date(event.ts).toISOString();
      if (!node.lastSeen || time > node.lastSeen) node.lastSeen = time;
      const body = data.data ?? {};
      const pos = positionOf(body);
      if (event.type === HUB_EVENT.MESH_POSITION && pos) {
        node.position = { ...pos, time };
        this.#addToTrail(node.id, node.position);
      }
      // A node that tells its name in a frame is named at once (the node.updated event follows).
      if (event.type === HUB_EVENT.MESH_INFO && typeof body.longName === 'string' && body.longName && !node.name) node.name = body.longName;
      // As the hub keeps it: a frame with no battery reading (level and voltage 0) leaves the last level known, never 0 %.
      if (event.type === HUB_EVENT.MESH_TELEMETRY) node.battery = batteryReading(body) ?? node.battery;
      const best = Array.isArray(data.receptions) ? data.receptions.map((/** @type {any} */ r) => r?.snr).filter((/** @type {unknown} */ s) => typeof s === 'number') : [];
      if (best.length > 0) node.snr = Math.max(...best);
      this.#changed(node.id);
    }
  }

  /** @param {string} id */
  async #fetchOne(id) {
    if (this.#fetching.has(id)) return;
    this.#fetching.add(id);
    try {
      const node = normalize(await this.api.get(`/api/v1/nodes/${encodeURIComponent(id)}`));
      if (node) {
        this.nodes.set(node.id, node);
        this.#changed(node.id);
      }
    } catch {
      // Keep the partial record; the next full load fixes it.
    } finally {
      this.#fetching.delete(id);
    }
  }

  /** @param {string | null} id */
  #changed(id) {
    this.dispatchEvent(new CustomEvent('change', { detail: { id } }));
  }
}

/** @param {string} id @returns {FleetNode} */
function blank(id) {
  return { id, name: null, kind: 'node', online: false, lastSeen: null, battery: null, snr: null, rssi: null, position: null, heardBy: [] };
}

/**
 * Keeps the known value where a partial event left a field out.
 * @param {FleetNode} node
 * @param {Record<string, unknown>} raw
 */
function onlyGiven(node, raw) {
  /** @type {Partial<FleetNode>} */
  const out = {};
  for (const [k, v] of Object.entries(node)) if (k in raw) /** @type {any} */ (out)[k] = v;
  return out;
}

/**
 * @param {any} raw
 * @returns {FleetNode | null}
 */
export function normalize(raw) {
  if (!raw || typeof raw.id !== 'string') return null;
  return {
    id: raw.id,
    name: typeof raw.name === 'string' && raw.name !== '' ? raw.name : null,
    kind: typeof raw.kind === 'string' ? raw.kind : 'node',
    online: raw.online === true,
    lastSeen: typeof raw.lastSeen === 'string' ? raw.lastSeen : null,
    battery: typeof raw.battery === 'number' ? raw.battery : null,
    snr: typeof raw.snr === 'number' ? raw.snr : null,
    rssi: typeof raw.rssi === 'number' ? raw.rssi : null,
    position: positionOf(raw.position),
    heardBy: Array.isArray(raw.heardBy) ? raw.heardBy.filter((/** @type {any} */ g) => g && typeof g.gatewayId === 'string') : [],
    claimed: raw.claimed,
    capabilities: raw.capabilities,
  };
}

/**
 * A position in degrees from the API's shape or the mesh's (degrees x 1e7).
 * @param {any} p
 * @returns {NodePosition | null}
 */
export function positionOf(p) {
  if (!p || typeof p !== 'object') return null;
  let lat = p.latitude ?? p.lat;
  let lon = p.longitude ?? p.lon ?? p.lng;
  if (typeof lat !== 'number' && typeof p.latitudeI === 'number') lat = p.latitudeI / 1e7;
  if (typeof lon !== 'number' && typeof p.longitudeI === 'number') lon = p.longitudeI / 1e7;
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  // (0, 0) is what a node without a fix reports, not a place in the Gulf of Guinea.
  if (lat === 0 && lon === 0) return null;
  return { latitude: lat, longitude: lon, altitudeM: typeof p.altitudeM === 'number' ? p.altitudeM : null, time: typeof p.time === 'string' ? p.time : null };
}
