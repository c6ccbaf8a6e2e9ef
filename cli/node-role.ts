// A mesh node's role (NodeInfo.Role: CLIENT, ROUTER, GATEWAY; `--role` takes these) as `unibos
// status` and `unibos peers` say it, in the CLI's language; a role this CLI does not know stays as
// it came.

import { say, sayKnown } from './cli-language.ts';

const ROLES = { CLIENT: () => say('client'), ROUTER: () => say('router'), GATEWAY: () => say('gateway') };

export function nodeRole(role: string | null | undefined): string {
  return sayKnown(role ?? '', ROLES);
}
