// Finds, in the gateway node's outbox, the message a hub command became: after a crash between the
// node queueing it and the bridge recording its packet id, this is how the bridge learns the id
// without sending the message again. The firmware picks packet ids itself, so the message is
// recognised by what it carries (kind, destination, content); ids already claimed are skipped, so
// two identical texts under two refs still get one message each.

import { Buffer } from 'node:buffer';
import type { Data } from '@unibos/mesh-protocol';
import type { TxCommand } from './tx-command.ts';

/** What the bridge reads of the node's outbox (firmware `Outbox.dueAt`: every row, with a far future `now`). */
export interface OutboxReader {
  readonly size: number;
  dueAt(nowMs: number, priority: 'sos' | 'alert' | 'text', limit: number): Array<{ packetId: number; to: number; data: Data }>;
}

/** The packet id of `command`'s message still in `outbox`, or undefined when there is none. */
export function findQueued(outbox: OutboxReader, command: TxCommand, claimed: (packetId: number) => boolean): number | undefined {
  const priority = command.kind === 'alert' ? 'alert' : command.kind === 'sosStage' ? 'sos' : command.kind === 'text' || command.kind === 'direct' ? 'text' : null;
  if (priority === null) return undefined;
  const rows = outbox.dueAt(Number.MAX_SAFE_INTEGER, priority, outbox.size + 1);
  return rows.find((r) => !claimed(r.packetId) && 'to' in command && r.to === command.to && carries(r.data, command))?.packetId;
}

function carries(data: Data, c: TxCommand): boolean {
  switch (c.kind) {
    case 'text':
      return data.text === c.text;
    case 'alert':
      return data.alert?.level === c.level && data.alert.text === c.text && (data.alert.magnitudeX10 ?? 0) === c.magnitudeX10;
    case 'direct':
      return data.direct?.sender === c.sender && data.direct.sealed !== undefined && Buffer.from(data.direct.sealed).equals(Buffer.from(c.sealed));
    case 'sosStage':
      // The node may have raised the stage (a later one answered before): the answer to this SOS is the one.
      return data.replyId === c.requestId && data.routing !== undefined;
    default:
      return false;
  }
}
