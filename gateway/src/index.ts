// The public face of @unibos/gateway: the CLI imports only from here.

export { runGateway, openGatewayDb, type GatewaySettings, type RunningGateway } from './run-gateway.ts';
export { MeshBridge, type MqttPublisher, type UplinkSink } from './bridge/mesh-bridge.ts';
export { ProfileRouter, type ProfileRouterOptions } from './profiles/profile-router.ts';
export { SwitchCommander, type SwitchCommanderOptions } from './profiles/switch-commander.ts';
export { FAMILY_PROFILES, genericProfile } from './profiles/device-profiles.ts';
export * from './broker/index.ts';
export * from './uplink/index.ts';
export { GatewayError, type GatewayErrorCode } from './gateway-error.ts';
