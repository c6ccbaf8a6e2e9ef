// Why a gateway did not carry a hub command, as it says so in `unibos/v1/gw/{id}/txstatus` `error`
// and the hub stores and shows it: one definition for the gateway that says it, the hub's default,
// and the CLI and admin UI that translate it (they know a reason by this sentence; the UI, plain
// browser JavaScript, keeps a copy that a test holds equal to this one).

export const GATEWAY_TX_REASONS = {
  /** The node's radio tried every time and nobody acknowledged it. */
  gaveUp: "the gateway's radio gave up: nobody acknowledged it",
  /** Pushed out of the node's full outbox by SOS and alerts. */
  evicted: "pushed out of the gateway's full outbox by more urgent messages",
  routerRefused: "the gateway's mesh router refused it",
  undecodable: 'the gateway could not read its stored copy',
  /** The hub's default when a gateway refused without saying why. */
  refused: 'refused by the gateway',
  noPrivate: 'this gateway cannot carry private messages',
  /** The gateway died between taking a command and recording it: it may have gone out, so it is not sent again. */
  interrupted: "the gateway restarted while queueing it and it is not in the gateway's outbox: it may have gone out or not, so it is not sent again",
  /** The same for a switch: the device may have switched, so it is not switched again. */
  switchInterrupted: 'the gateway restarted before the device confirmed the switch; it is not switched again',
  /** The hub's: a broadcast no gateway took (reported queueing) within an hour: stale by then. */
  staleBroadcast: 'no gateway took this broadcast within an hour, so it was given up: send it again if it still applies',
} as const;

/** What a reason reads as when the node let a queued command go unsent (`not sent: ` + the reason). */
export const GATEWAY_NOT_SENT_PREFIX = 'not sent: ';
