// The hub uplink's public face: the durable outbox and the connection that drains it (the
// envelope it wraps each message in lives in @unibos/mesh-protocol, which the hub shares).

export { HubOutbox } from './hub-outbox.ts';
export type { DeadLetter, HubMessage, HubOutboxOptions, HubOutboxStats, HubReceipt, NewHubMessage, OutboxDrop, Qos } from './hub-outbox.ts';
export { HubUplink } from './hub-uplink.ts';
export type { DownlinkHandler, HubUplinkOptions, HubUplinkStats, UplinkState } from './hub-uplink.ts';
export { ReconnectBackoff } from './reconnect-backoff.ts';
export { DEFAULT_URGENT_RETRY_DELAYS_MS, UrgentLetterRetry, type UrgentLetterRetryOptions } from './urgent-letter-retry.ts';
export { UplinkError, type UplinkErrorCode } from './uplink-error.ts';
