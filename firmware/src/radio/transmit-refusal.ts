// What every radio refuses to transmit, decided in one place so the RAK3172 modem, the SPI chips
// and the simulated air refuse the same frames with the same words: more than a LoRa packet holds,
// nothing at all, a second frame while one is in flight, or a radio that is not ready.

import { LORA_MAX_PAYLOAD } from '@unibos/mesh-protocol';

/** Why `frame` cannot go out now, or undefined when it can. `radio` names the radio and its state for the message. */
export function transmitRefusal(frame: Uint8Array, radio: { transmitting: boolean; ready: boolean; notReady: string }): string | undefined {
  if (frame.length > LORA_MAX_PAYLOAD) return `frame of ${frame.length} bytes exceeds the ${LORA_MAX_PAYLOAD}-byte LoRa limit`;
  if (frame.length === 0) return `empty frame: a LoRa packet carries 1..${LORA_MAX_PAYLOAD} bytes`;
  if (radio.transmitting) return 'a transmission is already in flight; the radio sends one frame at a time';
  if (!radio.ready) return radio.notReady;
  return undefined;
}
