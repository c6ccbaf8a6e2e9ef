// Frames <-> typed Data in one call: the pair the router uses to send and receive.

import type { ChannelKey, ChannelSet } from '../crypto/channel-key.ts';
import { openFrame, sealFrame } from '../crypto/frame-cipher.ts';
import type { FrameHeader } from './header.ts';
import { decodeData, encodeData } from './schema.ts';
import type { Data, DecodedData } from './schema.ts';

/** Throws E_BAD_ARGUMENT for an invalid Data, E_BAD_HEADER for an invalid header, E_PAYLOAD_TOO_LARGE above MAX_DATA_BYTES (222). */
export function encodeFrame(header: Omit<FrameHeader, 'channelHash'>, data: Data, channel: ChannelKey): Uint8Array {
  return sealFrame(header, encodeData(data), channel);
}

export interface DecodedFrame {
  header: FrameHeader;
  data: DecodedData;
  channel: ChannelKey;
}

/** openFrame's errors, plus E_BAD_PAYLOAD when the authenticated plaintext is not a valid Data. */
export function decodeFrame(frame: Uint8Array, channels: ChannelSet): DecodedFrame {
  const { header, plaintext, channel } = openFrame(frame, channels);
  return { header, data: decodeData(plaintext), channel };
}
