// A module's state as `unibos status` and `unibos module` show it, in the CLI's language (the node's
// loaded/failed/unloaded/stopped, the hub's lifecycle states); a state this CLI does not know stays
// as it came.

import { say, sayKnown } from './cli-language.ts';

const STATES = {
  loaded: () => say('loaded'),
  failed: () => say('failed'),
  unloaded: () => say('unloaded'),
  stopped: () => say('stopped'),
  enabled: () => say('enabled'),
  disabled: () => say('disabled'),
  not_loaded: () => say('not_loaded'),
  setup_in_progress: () => say('setup_in_progress'),
  setup_error: () => say('setup_error'),
  setup_retry: () => say('setup_retry'),
  migration_error: () => say('migration_error'),
  invalid: () => say('invalid'),
  unsupported: () => say('unsupported'),
};

export function moduleState(state: string): string {
  return sayKnown(state, STATES);
}
