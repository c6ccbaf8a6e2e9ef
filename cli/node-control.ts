// Shared by the commands that talk to a running node (status, peers, send, sos, inbox): the
// --data-dir, --node and --json options, and the plain-text formatting they share. `--node NAME`
// finds a node that `unibos demo` started (it lists them in <demo dir>/nodes.json).

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { controlSocketPath, defaultDataDir, formatNodeId, parseNodeId } from '@unibos/firmware';
import { parseCommand } from './cli-args.ts';
import { CliError } from './cli-error.ts';
import { say } from './cli-language.ts';
import { matchNode, nodeList } from './node-names.ts';
import { plain, table } from './plain-text.ts';

// Most commands print remote text and tables through node-control; the functions live on their own.
export { plain, table };

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ControlArgs<V> {
  values: V & { 'data-dir'?: string; node?: string; json?: boolean };
  positionals: string[];
  dataDir: string;
}

export const DATA_DIR_HELP = say(
  '  --data-dir DIR   the node\'s state folder (default: $UNIBOS_DATA_DIR, else ~/.unibos/node)\n  --node NAME      a node the demo started, by name or id (e.g. --node Clinic); the demo\'s\n                   list is <demo dir>/nodes.json (default dir: $UNIBOS_DEMO_DIR, else ~/.unibos/demo)\n  --json           print the node\'s answer as JSON (default: a table for people)',
);

/** One node `unibos demo` runs: where its state (and control socket) is. */
export interface DemoNodeEntry {
  name: string;
  id: string;
  dataDir: string;
}

export function demoDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.UNIBOS_DEMO_DIR ?? join(env.HOME ?? homedir(), '.unibos', 'demo');
}

/** The demo's gateway: its name (the one `unibos peers` shows) and its folder in the demo's. */
export const DEMO_GATEWAY_NAME = 'Demo gateway';
export function demoGatewayDir(dir: string): string {
  return join(dir, 'gateway');
}

/** The nodes the demo last started (empty when it never ran). */
export function demoNodes(dir = demoDir()): DemoNodeEntry[] {
  let nodes: DemoNodeEntry[];
  try {
    const list = JSON.parse(readFileSync(join(dir, 'nodes.json'), 'utf8')) as unknown;
    nodes = Array.isArray(list) ? list.filter((n): n is DemoNodeEntry => Boolean(n) && typeof n.name === 'string' && typeof n.id === 'string' && typeof n.dataDir === 'string') : [];
  } catch {
    return [];
  }
  // A demo from before nodes.json listed its gateway: the gateway is there all the same, under the
  // same name and in the same folder (the demo has always used both); its id is in its identity.
  const gatewayDir = demoGatewayDir(dir);
  if (nodes.length > 0 && !nodes.some((n) => resolve(n.dataDir) === resolve(gatewayDir))) {
    const id = identityNodeId(join(gatewayDir, 'identity.json'));
    if (id !== null) nodes.push({ name: DEMO_GATEWAY_NAME, id, dataDir: gatewayDir });
  }
  return nodes;
}

/** The node id an identity file names ("!1a2b3c4d"), or null when there is none to read. */
function identityNodeId(path: string): string | null {
  try {
    const nodeId = (JSON.parse(readFileSync(path, 'utf8')) as { nodeId?: unknown } | null)?.nodeId;
    const id = typeof nodeId === 'string' ? parseNodeId(nodeId) : null;
    return id === null ? null : formatNodeId(id);
  } catch {
    return null;
  }
}

/** --node NAME: a demo node by name (any case) or id. */
export function findNode(name: string, nodes = demoNodes()): DemoNodeEntry {
  const match = matchNode(name, nodes);
  if ('found' in match) return match.found;
  if ('ambiguous' in match) throw new CliError(say("--node {name}: {count} of the demo's nodes are called that: {list}; give the id of the one you mean", { name, count: match.ambiguous.length, list: nodeList(match.ambiguous) }));
  if (nodes.length === 0) throw new CliError(say("--node {name}: no demo nodes are known ({file} is missing); start them with `npm start`, or name the node's folder with --data-dir", { name, file: join(demoDir(), 'nodes.json') }));
  throw new CliError(say("--node {name}: no such node; the demo's nodes are {list}", { name, list: nodeList(nodes) }));
}

export async function parseControlArgs<V>(argv: string[], help: string, options: Options = {}, positionals = false): Promise<ControlArgs<V> | null> {
  const parsed = parseCommand(argv, help, { ...options, 'data-dir': { type: 'string' }, node: { type: 'string' }, json: { type: 'boolean' } }, positionals);
  if (!parsed) return null;
  const values = parsed.values as ControlArgs<V>['values'];
  if (values.node !== undefined && values['data-dir'] !== undefined) throw new CliError(say('--node and --data-dir both name a node: give one'));
  if (values.node !== undefined) {
    const node = findNode(values.node);
    // The demo ran once (its list is there) but is not running now, stopped or crashed: `unibos node` would start another node, not it.
    if (!(await nodeAnswers(node.dataDir))) throw new CliError(say('{name} is a node of the demo, which is not running (nothing answers on a control socket in {dir}); start the demo with `npm start` (or `unibos demo`)', { name: node.name, dir: node.dataDir }));
    return { values, positionals: parsed.positionals, dataDir: node.dataDir };
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  if (values['data-dir'] !== undefined && inside(resolve(dataDir), resolve(demoDir())) && !(await nodeAnswers(dataDir))) {
    throw new CliError(say('no node is running with data dir {dir}: it is in the demo\'s folder, and the demo is not running; start it with `npm start` (or `unibos demo`)', { dir: dataDir }));
  }
  // Nothing runs in the default folder but the demo does: say which nodes there are and how to reach them.
  if (values['data-dir'] === undefined && !(await nodeAnswers(dataDir))) {
    const known = demoNodes();
    const answering = await Promise.all(known.map((n) => nodeAnswers(n.dataDir)));
    const nodes = known.filter((_, i) => answering[i]);
    if (nodes.length > 0) throw new CliError(say("no node is running with data dir {dir}, but the demo's nodes are: {list}; pick one with --node NAME (e.g. --node {example})", { dir: dataDir, list: nodeList(nodes), example: nodes[0]!.name }));
  }
  return { values, positionals: parsed.positionals, dataDir };
}

/**
 * Whether a node listens on the control socket in `dataDir`. A node that crashed (a demo stopped
 * with kill -9, a power cut) leaves the socket file behind, and connecting to it is refused: such a
 * file says nothing about a running node. Any other failure (EACCES: another user's node) counts as
 * an answer, so the call itself reports it as it is.
 */
export function nodeAnswers(dataDir: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ path: controlSocketPath(dataDir) });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code !== 'ENOENT' && err.code !== 'ECONNREFUSED'));
  });
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * `record` with the numeric ids named written as the text output writes them (!1a2b3c4d), so that
 * a script reading --json meets one form of id everywhere.
 */
export function idsAsText<T extends object>(record: T, keys: ReadonlyArray<keyof T & string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(record as Record<string, unknown>) };
  for (const k of keys) if (typeof out[k] === 'number') out[k] = formatNodeId(out[k]);
  return out;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** "12 s ago", "3 min ago", "2 h ago". */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return say('{seconds} s ago', { seconds: s });
  if (s < 5400) return say('{minutes} min ago', { minutes: Math.round(s / 60) });
  if (s < 172_800) return say('{hours} h ago', { hours: Math.round(s / 3600) });
  return say('{days} d ago', { days: Math.round(s / 86_400) });
}

