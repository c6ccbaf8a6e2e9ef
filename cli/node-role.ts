// A mesh node's role (NodeInfo.Role: CLIENT, ROUTER, GATEWAY; `--role` takes these) as `unibos
// status` and `unibos peers` say it, in the CLI's language; a role this CLI does not know stays as
// it came.

import { say } from './cli-language.ts';

export function nodeRole(role: string | null | undefined): string {
  switch (role) {
    case 'CLIENT':
      return say('client');
    case 'ROUTER':
      return say('router');
    case 'GATEWAY':
      return say('gateway');
    default:
      return role ?? '';
  }
}
