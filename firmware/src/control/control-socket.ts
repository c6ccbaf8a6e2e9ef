// Where a node's local control API listens: a Unix socket inside its data folder, readable only by
// the node's user, so `unibos status|peers|send|sos` need no password and nobody else can use it.

import { join } from 'node:path';

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'node.sock');
}
