// The public face of @unibos/controlplane: the CLI imports only from here.

export { runHub, type RunningHub, type RunHubOptions } from './run-hub.ts';
export { loadHubConfig, defaultHubDataDir, hubConfigDefaults, HUB_CONFIG_KEYS, type HubConfig } from './hub-config.ts';
export { HubError, type HubErrorCode } from './hub-error.ts';
export { createFirstAdmin } from './accounts/first-admin.ts';
