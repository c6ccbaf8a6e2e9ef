// A module's state as `unibos status` and `unibos module` show it, in the CLI's language (the node's
// loaded/failed/unloaded/stopped, the hub's lifecycle states); a state this CLI does not know stays
// as it came.

import { say } from './cli-language.ts';

export function moduleState(state: string): string {
  switch (state) {
    case 'loaded':
      return say('loaded');
    case 'failed':
      return say('failed');
    case 'unloaded':
      return say('unloaded');
    case 'stopped':
      return say('stopped');
    case 'enabled':
      return say('enabled');
    case 'disabled':
      return say('disabled');
    case 'not_loaded':
      return say('not_loaded');
    case 'setup_in_progress':
      return say('setup_in_progress');
    case 'setup_error':
      return say('setup_error');
    case 'setup_retry':
      return say('setup_retry');
    case 'migration_error':
      return say('migration_error');
    case 'invalid':
      return say('invalid');
    case 'unsupported':
      return say('unsupported');
    default:
      return state;
  }
}
