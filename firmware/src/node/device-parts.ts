// Builds the hardware a configuration asks for: the radio (serial modem, SPI board or simulated air), the
// position source and the button/LED/buzzer panel. Missing hardware fails here, at start-up,
// with an error that names the device and the setting to change.

import type { Logger } from 'pino';
import { AirRadio } from '../radio/air-radio.ts';
import { SerialLoraModem } from '../radio/serial-lora-modem.ts';
import { NoRadio } from '../radio/no-radio.ts';
import { buildSpiRadio } from '../radio/spi/spi-radio-factory.ts';
import { resolveBoard } from '../boards/board-catalog.ts';
import type { LoRaParams } from '@unibos/mesh-protocol';
import { GpsdClient } from '../gps/gpsd-client.ts';
import { NmeaSerialGps } from '../gps/nmea-serial-gps.ts';
import { SimGps } from '../gps/sim-gps.ts';
import type { GpsSource } from '../gps/gps-source.ts';
import { JohnnyFivePanel } from '../gpio/johnny-five-panel.ts';
import type { DevicePanel } from '../gpio/device-panel.ts';
import { FirmwareError } from '../firmware-error.ts';
import { Device } from './device.ts';
import type { ManagedRadio } from './managed-radio.ts';
import type { NodeConfig } from './node-config.ts';

export interface DeviceParts {
  radio: ManagedRadio;
  gps: GpsSource | undefined;
  panel: DevicePanel | undefined;
}

export function buildDeviceParts(config: NodeConfig, nodeId: number, logger: Logger): DeviceParts {
  const params = Device.radioParams(config);
  let radio: ManagedRadio;
  if (config.radio.type === 'sim') {
    const { latitude, longitude } = config.gps;
    if (latitude === undefined || longitude === undefined) {
      throw new FirmwareError('E_CONFIG', 'a simulated radio needs a place on the simulated air: set gps.latitude and gps.longitude (--lat, --lon)');
    }
    radio = new AirRadio({ nodeId, params, position: { latitude, longitude }, host: config.radio.air.host, port: config.radio.air.port, logger: logger.child({ component: 'air-radio' }) });
  } else if (config.radio.type === 'none') {
    radio = new NoRadio(params);
  } else if (config.radio.type === 'spi' || config.radio.type === 'spi-twin') {
    radio = spiRadio(config, nodeId, params, logger);
  } else {
    radio = new SerialLoraModem({ path: config.radio.serialPath, baudRate: config.radio.baudRate, params, logger: logger.child({ component: 'modem' }) });
  }

  let gps: GpsSource | undefined;
  const g = config.gps;
  // With the node's logger: a lost link or position, and why, belongs in the node's log.
  const gpsLog = logger.child({ component: 'gps' });
  if (g.type === 'sim') gps = new SimGps({ latitude: g.latitude!, longitude: g.longitude!, altitudeM: g.altitudeM });
  else if (g.type === 'gpsd') gps = new GpsdClient({ host: g.gpsd.host, port: g.gpsd.port, logger: gpsLog });
  else if (g.type === 'nmea') gps = new NmeaSerialGps({ path: g.serialPath, baudRate: g.baudRate, logger: gpsLog });

  const panel = config.gpio.type === 'none' ? undefined : new JohnnyFivePanel({ io: config.gpio.type, logger: logger.child({ component: 'gpio' }) });
  return { radio, gps, panel };
}

/** An SX1262/SX1276 board on SPI, or (spi-twin) its chip emulated on the simulated air at our position. */
function spiRadio(config: NodeConfig, nodeId: number, params: LoRaParams, logger: Logger): ManagedRadio {
  const board = resolveBoard(config.radio.board!);
  const log = logger.child({ component: 'spi-radio' });
  if (config.radio.type === 'spi') return buildSpiRadio(board, params, { logger: log }).radio;
  const { latitude, longitude } = config.gps;
  if (latitude === undefined || longitude === undefined) {
    throw new FirmwareError('E_CONFIG', 'an emulated chip needs a place on the simulated air: set gps.latitude and gps.longitude (--lat, --lon)');
  }
  const antenna = new AirRadio({ nodeId, params, position: { latitude, longitude }, host: config.radio.air.host, port: config.radio.air.port, logger: logger.child({ component: 'air-radio' }) });
  return buildSpiRadio(board, params, { logger: log, antenna, openAntenna: () => antenna.open(), closeAntenna: () => antenna.close() }).radio;
}
