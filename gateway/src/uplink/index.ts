// The hub uplink's public face: the durable outbox, the connection that drains it, and the
// envelope the hub decodes.

export { HubOutbox } from './hub-outbox.ts';
export type { HubMessage, HubOutboxOptions, HubOutboxStats, HubReceipt, NewHubMessage, OutboxDrop, Qos } from './hub-outbox.ts';
export { HubUplink } from './hub-uplink.ts';
export type { DownlinkHandler, HubUplinkOptions, HubUplinkStats, UplinkState } from './hub-uplink.ts';
export {
  BINARY_ENVELOPE_MAGIC,
  BINARY_ENVELOPE_VERSION,
  MAX_ENVELOPE_FIELD_BYTES,
  decodeEnvelope,
  detectFormat,
  encodeEnvelope,
} from './hub-envelope.ts';
export type { EnvelopeFormat, EnvelopeInput, HubEnvelope } from './hub-envelope.ts';
export { ReconnectBackoff } from './reconnect-backoff.ts';
export { UplinkError, type UplinkErrorCode } from './uplink-error.ts';
