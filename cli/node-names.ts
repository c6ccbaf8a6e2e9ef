// Nodes as people name them: by the name a node announced (any case) or by its id. One lookup for
// `--node` (the demo's list of its nodes) and for `send --to` and `trace` (the nodes the running
// node has heard, its /peers), and the "Farm !e2c751c9" a table shows for a node.

import { callNode, formatNodeId, parseNodeId, type Peer } from '@unibos/firmware';
import { CliError } from './cli-error.ts';
import { say } from './cli-language.ts';
import { plain } from './plain-text.ts';

/** A node with its id ("!1a2b3c4d") and the name it goes by, if any. */
export interface NamedNode {
  id: string;
  name: string | null;
}

export type NodeMatch<T> = { found: T } | { ambiguous: T[] } | { none: true };

/**
 * Names compared as a person types them: any case, surrounding and repeated spaces ignored, and
 * Turkish dotted and dotless i taken as i (İzmir, IZMIR and izmir are one name whatever the locale).
 */
function fold(name: string): string {
  return name.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase().replace(/\u0307/g, '').replace(/ı/g, 'i');
}

/** Written as an id beyond doubt: `!1a2b3c4d` or `0x1a2b3c4d`, not a bare number or 8 letters a name may be. */
export function isExplicitId(wanted: string): boolean {
  return /^\s*(!|0x)/i.test(wanted) && parseNodeId(wanted) !== null;
}

/**
 * The node `wanted` names: `!1a2b3c4d` that id; a bare number or 8 hex letters (`112`,
 * `cafe2024`) the node with that id or the one of that name, ambiguous when both are heard and
 * differ; anything else a name.
 */
export function matchNode<T extends NamedNode>(wanted: string, nodes: readonly T[]): NodeMatch<T> {
  const id = parseNodeId(wanted);
  const byId = id === null ? undefined : nodes.find((n) => parseNodeId(n.id) === id);
  if (byId && isExplicitId(wanted)) return { found: byId };
  const want = fold(wanted);
  const all = [...(byId ? [byId] : []), ...nodes.filter((n) => n !== byId && n.name !== null && fold(n.name) === want)];
  if (all.length === 1) return { found: all[0]! };
  return all.length > 1 ? { ambiguous: all } : { none: true };
}

/** "Farm (!e2c751c9), Clinic (!9023939c)" (remote names made safe to print). */
export function nodeList(nodes: readonly NamedNode[]): string {
  return nodes.map((n) => (n.name ? `${plain(n.name)} (${n.id})` : n.id)).join(', ');
}

/** Nodes an error lists by name; more would bury the sentence (`unibos peers` shows them all). */
const LISTED = 12;

/** The nodes the running node has heard, with the names they announced. */
export class PeerNames {
  private constructor(
    private readonly dataDir: string,
    readonly self: string,
    readonly nodes: ReadonlyArray<NamedNode & { peer: Peer }>,
  ) {}

  static async load(dataDir: string): Promise<PeerNames> {
    const { self, peers } = await callNode<{ self: string; peers: Peer[] }>(dataDir, 'GET', '/peers');
    return new PeerNames(
      dataDir,
      self,
      peers.map((p) => ({ id: formatNodeId(p.nodeId), name: p.longName, peer: p })),
    );
  }

  /** What the node knows of `id` (undefined: it has not heard it). */
  peer(id: string): Peer | undefined {
    return this.nodes.find((n) => n.id === id)?.peer;
  }

  /** "Farm !e2c751c9" for a node that announced its name, else its id (the name made safe to print). */
  label(id: string): string {
    const name = this.nodes.find((n) => n.id === id)?.name;
    return name ? `${plain(name)} ${id}` : id;
  }

  /**
   * The id `wanted` stands for: an id as it is (a node not heard yet can be written to), or the one
   * heard node of that name; a name of no heard node, or of several, is the user's to fix.
   */
  async resolve(wanted: string): Promise<string> {
    const match = matchNode(wanted, this.nodes);
    if ('found' in match) return match.found.id;
    const name = plain(wanted);
    if ('ambiguous' in match) {
      throw new CliError(say('{count} nodes {self} has heard are called {name}: {list}; give the id of the one you mean', { count: match.ambiguous.length, self: this.self, name, list: nodeList(match.ambiguous) }));
    }
    // An id no node has been heard under yet: written to all the same (it may be out of range now).
    const id = parseNodeId(wanted);
    if (id !== null) return formatNodeId(id);
    // Its own name is no peer's: say so rather than that no node is called that.
    const own = await callNode<{ name: string }>(this.dataDir, 'GET', '/status');
    if (fold(own.name) === fold(wanted)) throw new CliError(say('{name} is this node ({id}): name another one', { name, id: this.self }));
    if (this.nodes.length === 0) throw new CliError(say('no node called {name}: {self} has not heard any node yet, so it knows no names; give a node id such as !1a2b3c4d', { name, self: this.self }));
    const named = this.nodes.filter((n) => n.name);
    const list = named.length <= LISTED ? nodeList(named) : say('{list} and {count} more', { list: nodeList(named.slice(0, LISTED)), count: named.length - LISTED });
    throw new CliError(say('no node called {name} among those {self} has heard: {list} (see unibos peers); or give a node id such as !1a2b3c4d', { name, self: this.self, list: list || say('none with a name yet') }));
  }
}
