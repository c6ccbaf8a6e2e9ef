// Node ids in the API: `!1a2b3c4d` (as the mesh JSON writes them); the `!` may be left out.

import { HubError } from '../hub-error.ts';

export const NODE_ID_PARAM = { type: 'string', pattern: '^!?[0-9a-fA-F]{8}$', description: 'node id, e.g. !1a2b3c4d' } as const;

export function normalizeNodeId(raw: string): string {
  const hex = raw.startsWith('!') ? raw.slice(1) : raw;
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new HubError('E_BAD_REQUEST', `"${raw}" is not a node id like !1a2b3c4d`);
  return `!${hex.toLowerCase()}`;
}
