// How panel pins are named: BCM line numbers on the Pi's 40-pin header, as raspi-io names them.

import { FirmwareError } from '../firmware-error.ts';

/** BCM0..BCM27, the lines on the 40-pin header. */
export const PI_GPIO_COUNT = 28;

/** 'GPIO17', 'BCM17', 17 and '17' all name BCM line 17 (raspi-io reads bare numbers as wiringPi; use names in config). */
export function bcmLine(pin: number | string): number {
  const match = typeof pin === 'number' ? null : /^(?:GPIO|BCM)?(\d{1,2})$/i.exec(pin.trim());
  const n = typeof pin === 'number' ? pin : match ? Number(match[1]) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n >= PI_GPIO_COUNT) {
    throw new FirmwareError('E_CONFIG', `unknown GPIO pin ${JSON.stringify(pin)}: use a BCM name such as "GPIO17" (0-${PI_GPIO_COUNT - 1})`);
  }
  return n;
}
