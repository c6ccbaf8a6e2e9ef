// What a node knows of the mesh around it: direct neighbours with link quality, how many hops
// away other nodes are, and (from neighbour-info beacons) who each neighbour hears. The
// coverage-aware relay policy reads it; `unibos peers` shows it.

export interface NeighborLink {
  nodeId: number;
  /** Estimated probability (0..1) that a frame from `nodeId` reaches the neighbour that advertised it. */
  quality: number;
  snr: number;
}

export interface NodeRecord {
  nodeId: number;
  lastHeardMs: number;
  /** When we last heard it directly (not through relays); -Infinity if never. */
  lastDirectMs: number;
  /** Fewest hops a frame from this node needed to reach us (0 = direct neighbour). */
  hopsAway: number;
  /** Smoothed SNR of frames heard directly from it (NaN if never heard directly). */
  snr: number;
  rssi: number;
  /** Estimated probability that a frame it sends reaches us directly (0..1). */
  quality: number;
  /** Who it hears, as it last advertised (empty until a neighbour-info beacon arrives). */
  advertised: Map<number, NeighborLink>;
  /** The beacon sequence number that last listed each advertised link. */
  listedAt: Map<number, number>;
  lastBeaconSeq: number;
  /** It said it is a gateway (its NodeInfo role): the way out to the hub, never forgotten for room. */
  gateway: boolean;
  /** It raised an SOS and has not said it is safe since: never forgotten for room. */
  sosOpen: boolean;
}

/**
 * Most neighbours one beacon lists: 15 fill at most 213 of a frame's 222 Data bytes however weak the
 * links and however long the node has run (16 could need 226: test/dense-beacons.test.ts). A node
 * hearing more lists a different slice of them in each beacon, so its neighbours learn all of them
 * over a few beacons; a beacon listing fewer is the sender's whole list.
 */
export const BEACON_MAX_NEIGHBORS = 15;
/**
 * A link from a full (possibly partial) beacon is forgotten when this many later beacons from the
 * same neighbour have not listed it: enough for 96 neighbours to come round, soon enough that a
 * link lost is not trusted for long.
 */
const PARTIAL_LINK_BEACONS = 6;

const NO_RECORDS: readonly NodeRecord[] = [];

/** Quality learnt per beacon: an exponentially weighted reception ratio. */
const QUALITY_ALPHA = 0.25;
/** Before any beacon gap is measured, a directly heard node is assumed this reliable. */
const PRIOR_QUALITY = 0.7;

export class NeighborTable {
  /** New nodes not recorded because every node held was a gateway or had an open SOS. */
  refused = 0;
  private readonly nodes = new Map<number, NodeRecord>();
  /** Nodes ever heard directly, by the last byte of their number (what a relayed copy names). */
  private readonly directByLastByte = new Map<number, NodeRecord[]>();

  constructor(
    private readonly self: number,
    private readonly capacity = 1024,
  ) {}

  get(nodeId: number): NodeRecord | undefined {
    return this.nodes.get(nodeId);
  }

  all(): NodeRecord[] {
    return [...this.nodes.values()];
  }

  /** Direct neighbours: heard directly within `maxAgeMs` (a node that moved away drops out). */
  direct(now: number, maxAgeMs = Infinity): NodeRecord[] {
    return this.all().filter((n) => now - n.lastDirectMs <= maxAgeMs);
  }

  /** A frame originated by `nodeId` arrived after `hops` relays (0 = heard from it directly). */
  heard(nodeId: number, hops: number, snr: number, rssi: number, now: number): void {
    if (nodeId === this.self) return;
    const r = this.record(nodeId, now);
    if (r === undefined) return;
    r.lastHeardMs = now;
    if (hops === 0) {
      if (r.lastDirectMs === -Infinity) {
        const bucket = this.directByLastByte.get(nodeId & 0xff);
        if (bucket) bucket.push(r);
        else this.directByLastByte.set(nodeId & 0xff, [r]);
      }
      r.hopsAway = 0;
      r.lastDirectMs = now;
      r.snr = Number.isNaN(r.snr) ? snr : r.snr * 0.7 + snr * 0.3;
      r.rssi = rssi;
      if (r.quality === 0) r.quality = PRIOR_QUALITY;
    } else if (hops < r.hopsAway) {
      r.hopsAway = hops;
    }
  }

  /**
   * A neighbour-info beacon from a direct neighbour: sequence gaps measure our reception ratio
   * of its frames; its list says whom it hears.
   */
  beacon(nodeId: number, seq: number, links: NeighborLink[], now: number): void {
    if (nodeId === this.self) return;
    const r = this.record(nodeId, now);
    if (r === undefined) return;
    // A sequence at or below the last one means the neighbour restarted: start counting afresh.
    if (r.lastBeaconSeq >= 0 && seq > r.lastBeaconSeq) {
      const missed = Math.min(seq - r.lastBeaconSeq - 1, 20);
      let q = r.quality || PRIOR_QUALITY;
      for (let i = 0; i < missed; i++) q *= 1 - QUALITY_ALPHA;
      r.quality = q * (1 - QUALITY_ALPHA) + QUALITY_ALPHA;
    }
    const restarted = r.lastBeaconSeq >= 0 && seq <= r.lastBeaconSeq;
    r.lastBeaconSeq = seq;
    const listed = links.filter((l) => l.nodeId !== nodeId);
    // A short list is the whole list. A full one may be one slice of a longer list (the sender
    // hears more than a beacon holds): keep what earlier slices said until it goes unlisted for a
    // while, or a dense town's nodes would each know a third of whom their neighbours hear and
    // relay for neighbours long covered.
    if (links.length < BEACON_MAX_NEIGHBORS || restarted) {
      r.advertised = new Map();
      r.listedAt = new Map();
    }
    for (const l of listed) {
      r.advertised.set(l.nodeId, l);
      r.listedAt.set(l.nodeId, seq);
    }
    for (const [id, at] of r.listedAt) {
      if (seq - at < PARTIAL_LINK_BEACONS) continue;
      r.listedAt.delete(id);
      r.advertised.delete(id);
    }
  }

  /** What a node said of itself: a gateway (NodeInfo role GATEWAY) or not. */
  role(nodeId: number, gateway: boolean, now: number): void {
    if (nodeId === this.self) return;
    const r = gateway ? this.record(nodeId, now) : this.nodes.get(nodeId);
    if (r !== undefined) r.gateway = gateway;
  }

  /** A node raised an SOS (open) or said it is safe (closed). */
  sos(nodeId: number, open: boolean, now: number): void {
    if (nodeId === this.self) return;
    const r = open ? this.record(nodeId, now) : this.nodes.get(nodeId);
    if (r !== undefined) r.sosOpen = open;
  }

  /** A gateway or a node with an open SOS: kept whatever else the table must make room for. */
  kept(nodeId: number): boolean {
    const r = this.nodes.get(nodeId);
    return r !== undefined && (r.gateway || r.sosOpen);
  }

  /** Direct neighbours whose node number ends in `byte` (the relay_node header field). */
  byLastByte(byte: number): readonly NodeRecord[] {
    return this.directByLastByte.get(byte) ?? NO_RECORDS;
  }

  /** Probability that a frame sent by `from` reached `to`, from what `to` advertised (0 if unknown). */
  linkQuality(from: number, to: number): number {
    if (to === this.self) return this.nodes.get(from)?.quality ?? 0;
    return this.nodes.get(to)?.advertised.get(from)?.quality ?? 0;
  }

  /** The node's record, made if new; undefined when the table is full of nodes it keeps. */
  private record(nodeId: number, now: number): NodeRecord | undefined {
    let r = this.nodes.get(nodeId);
    if (r === undefined) {
      // Anyone holding the Public key can claim to be any number of new nodes: room is made by
      // forgetting the stalest node, never a gateway or a node with an open SOS.
      if (this.nodes.size >= this.capacity && !this.evictStalest()) {
        this.refused++;
        return undefined;
      }
      r = {
        nodeId,
        lastHeardMs: now,
        lastDirectMs: -Infinity,
        hopsAway: Infinity,
        snr: NaN,
        rssi: NaN,
        quality: 0,
        advertised: new Map(),
        listedAt: new Map(),
        lastBeaconSeq: -1,
        gateway: false,
        sosOpen: false,
      };
      this.nodes.set(nodeId, r);
    }
    return r;
  }

  /** Forgets the least recently heard node that is not kept; false if every node is kept. */
  private evictStalest(): boolean {
    let stalest: NodeRecord | undefined;
    for (const r of this.nodes.values()) {
      if (r.gateway || r.sosOpen) continue;
      if (!stalest || r.lastHeardMs < stalest.lastHeardMs) stalest = r;
    }
    if (!stalest) return false;
    this.nodes.delete(stalest.nodeId);
    if (stalest.lastDirectMs === -Infinity) return true;
    const bucket = this.directByLastByte.get(stalest.nodeId & 0xff)!;
    bucket.splice(bucket.indexOf(stalest), 1);
    if (bucket.length === 0) this.directByLastByte.delete(stalest.nodeId & 0xff);
    return true;
  }
}
