// Node ids in the API: `!1a2b3c4d` (as the mesh JSON writes them); the `!` may be left out.
// The schema admits the shape; mesh-protocol's normalizeNodeId decides what is a node id.

import { normalizeNodeId, type NodeIdText } from '@unibos/mesh-protocol';
import { HubError } from '../hub-error.ts';

export const NODE_ID_PARAM = { type: 'string', pattern: '^!?[0-9a-fA-F]{8}$', description: 'node id, e.g. !1a2b3c4d' } as const;

/** The one spelling of a node id from a path or query, or E_BAD_REQUEST. */
export function nodeIdParam(raw: string): NodeIdText {
  const id = normalizeNodeId(raw);
  if (!id) throw new HubError('E_BAD_REQUEST', `"${raw}" is not a node id like !1a2b3c4d`);
  return id;
}
