// Where node labels go on a map: each label tries the spots around its node (right first, as a
// reader expects) and takes the first that covers no other label, no node and stays inside the
// plot; a label with no free spot is left out, so labels never overlap however dense the mesh.

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LabelRequest {
  /** Node centre, px. */
  x: number;
  y: number;
  /** Node radius, px: the label keeps clear of it. */
  radius: number;
  width: number;
  height: number;
  /** Higher is placed first (and so is the last to be left out). */
  priority: number;
}

const GAP = 3;

/**
 * One entry per request, in request order: the label's box, or null when it was left out.
 * `avoid` are places a label had better not cover (boxes along the links): a label takes a spot
 * clear of them if it has one, else any spot clear of labels, nodes and `obstacles`.
 */
export function placeLabels(requests: readonly LabelRequest[], bounds: Box, obstacles: readonly Box[] = [], avoid: readonly Box[] = []): Array<Box | null> {
  const placed: Array<Box | null> = requests.map(() => null);
  const soft = new BoxGrid(Math.max(8, ...requests.map((r) => r.width)));
  for (const a of avoid) soft.add(a);
  // Every node is an obstacle to every label, its own included.
  const grid = new BoxGrid(Math.max(8, ...requests.map((r) => r.width)));
  for (const o of obstacles) grid.add(o);
  for (const r of requests) grid.add({ x: r.x - r.radius, y: r.y - r.radius, width: 2 * r.radius, height: 2 * r.radius });
  const order = requests.map((_, i) => i).sort((a, b) => requests[b]!.priority - requests[a]!.priority || a - b);
  for (const i of order) {
    const r = requests[i]!;
    const spots = candidates(r).filter((box) => inside(box, bounds) && !grid.hits(box));
    const box = spots.find((b) => !soft.hits(b)) ?? spots[0];
    if (box) {
      placed[i] = box;
      grid.add(box);
    }
  }
  return placed;
}

/** True when two boxes share any area (touching edges do not count). */
export function intersects(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function candidates(r: LabelRequest): Box[] {
  const d = r.radius + GAP;
  const { width: w, height: h } = r;
  const mid = r.y - h / 2;
  return [
    { x: r.x + d, y: mid, width: w, height: h },
    { x: r.x - d - w, y: mid, width: w, height: h },
    { x: r.x - w / 2, y: r.y - d - h, width: w, height: h },
    { x: r.x - w / 2, y: r.y + d, width: w, height: h },
    { x: r.x + d, y: r.y - d - h, width: w, height: h },
    { x: r.x + d, y: r.y + d, width: w, height: h },
    { x: r.x - d - w, y: r.y - d - h, width: w, height: h },
    { x: r.x - d - w, y: r.y + d, width: w, height: h },
  ];
}

function inside(b: Box, bounds: Box): boolean {
  return b.x >= bounds.x && b.y >= bounds.y && b.x + b.width <= bounds.x + bounds.width && b.y + b.height <= bounds.y + bounds.height;
}

/** Boxes bucketed by cell, so a check looks at neighbours only (500 nodes, not 500 x 500). */
class BoxGrid {
  private readonly cells = new Map<string, Box[]>();
  constructor(private readonly cell: number) {}

  add(b: Box): void {
    for (const k of this.keys(b)) {
      const list = this.cells.get(k);
      if (list) list.push(b);
      else this.cells.set(k, [b]);
    }
  }

  hits(b: Box): boolean {
    for (const k of this.keys(b)) for (const o of this.cells.get(k) ?? []) if (intersects(b, o)) return true;
    return false;
  }

  private keys(b: Box): string[] {
    const out: string[] = [];
    const x0 = Math.floor(b.x / this.cell);
    const x1 = Math.floor((b.x + b.width) / this.cell);
    const y0 = Math.floor(b.y / this.cell);
    const y1 = Math.floor((b.y + b.height) / this.cell);
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) out.push(`${x}:${y}`);
    return out;
  }
}
