// What every radio refuses to transmit, decided in one place so the RAK3172 modem, the SPI chips
// and the simulated air refuse the same frames with the same words: more than the mesh's frame
// holds (MESH_MAX_FRAME: what a RAK3172's AT+PSEND carries, so every node can relay every frame),
// nothing at all, a second frame while one is in flight, or a radio that is not ready.

import { MESH_MAX_FRAME } from '@unibos/mesh-protocol';

/** Why `frame` cannot go out now, or undefined when it can. `radio` names the radio and its state for the message. */
export function transmitRefusal(frame: Uint8Array, radio: { transmitting: boolean; ready: boolean; notReady: string }): string | undefined {
  if (frame.length > MESH_MAX_FRAME) return `frame of ${frame.length} bytes is too long: the mesh (and a RAK3172's AT+PSEND) carries at most ${MESH_MAX_FRAME}`;
  if (frame.length === 0) return `empty frame: a mesh frame is 1..${MESH_MAX_FRAME} bytes`;
  if (radio.transmitting) return 'a transmission is already in flight; the radio sends one frame at a time';
  if (!radio.ready) return radio.notReady;
  return undefined;
}
