// The public face of @unibos/firmware: the CLI and the gateway import only from here.

export { FirmwareError, type FirmwareErrorCode } from './firmware-error.ts';
export { loadNodeConfig, checkNodeConfig, defaultDataDir, CONFIG_KEYS, type NodeConfig, type ConfigSources } from './node/node-config.ts';
export { runNode, type RunningNode, type RunNodeOptions } from './node/run-node.ts';
export { Device, type DeviceOptions } from './node/device.ts';
export type { NodeStatus } from './node/node-status.ts';
export type { OutboxDrop, OutboxDropReason } from './node/outbox.ts';
export { buildDeviceParts, type DeviceParts } from './node/device-parts.ts';
export type { ManagedRadio } from './node/managed-radio.ts';
export { SimManagedRadio } from './radio/sim-managed-radio.ts';
export { openNodeDb, type Db } from './node/node-db.ts';
export { loadOrCreateIdentity, type NodeIdentity } from './node/identity.ts';
// Node ids are spelled by @unibos/mesh-protocol; re-exported for the firmware's callers.
export { formatNodeId, parseNodeId } from '@unibos/mesh-protocol';
export type { Peer } from './node/peer-store.ts';
export type { InboxMessage } from './node/inbox.ts';
export { sosOpen, type SosStatus } from './node/sos.ts';
export { sosSummary } from './node/sos-summary.ts';
export { callNode } from './control/control-client.ts';
export { controlSocketPath } from './control/control-socket.ts';
export { SimAir, type SimAirOptions, type AirEvent } from './radio/sim-air.ts';
export { AirRadio } from './radio/air-radio.ts';
export { DEFAULT_AIR_PORT } from './radio/air-protocol.ts';
export { SerialLoraModem } from './radio/serial-lora-modem.ts';
export { SpiLoraRadio, type SpiRadioStats } from './radio/spi/spi-lora-radio.ts';
export { probeRadio, type ProbeReport, type ProbeStep } from './radio/spi/radio-probe.ts';
export { BOARDS, panelPinsTaken, resolveBoard } from './boards/board-catalog.ts';
export type { BoardProfile } from './boards/board-profile.ts';
export type { GpsSource, GpsFix } from './gps/gps-source.ts';
export type { DevicePanel, ButtonPress } from './gpio/device-panel.ts';
export { SystemdNotifier } from './system/sd-notify.ts';
export { createLogger } from './system/logger.ts';
export { GpsdClient } from './gps/gpsd-client.ts';
export { NmeaSerialGps } from './gps/nmea-serial-gps.ts';
export { SimGps } from './gps/sim-gps.ts';
export { JohnnyFivePanel } from './gpio/johnny-five-panel.ts';
export { VirtualIo } from './gpio/virtual-io.ts';
export { scrapedGauge } from './control/scraped-gauge.ts';
