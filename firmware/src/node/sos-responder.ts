// The gateway's SOS responder: tells a node how far its SOS has got (gateway, hub, acknowledged,
// resolved) with a Routing answer through the outbox. Only the gateway's bridge calls it, once it
// has done what the stage says; hearing an SOS on the radio never answers it (see README, SOS stages).

import type { Logger } from 'pino';
import { BROADCAST, formatNodeId, laterSosStage, sosStageRouting, type SosStageReport } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { Enqueue } from './outbox-pump.ts';

/** SOS answers remembered (node and request id -> highest stage answered): far more than one gateway serves at once. */
const MAX_SOS_ANSWERS = 1024;

export interface SosAnswer {
  packetId: number;
  stage: SosStageReport['stage'];
}

export class SosResponder {
  private readonly answers = new Map<string, SosStageReport>();

  constructor(
    private readonly nodeId: number,
    private readonly enqueue: Enqueue,
    private readonly log: Logger,
  ) {}

  /**
   * Tells node `to` how far its SOS `requestId` has got. A lower stage than one already answered
   * is raised to that one: the node asking again missed it. Queued ahead of texts (replacing an
   * answer to the same SOS still queued) and retried until the node acknowledges.
   */
  answer(to: number, requestId: number, report: SosStageReport): SosAnswer {
    if (!Number.isInteger(requestId) || requestId <= 0 || requestId > 0xffffffff) throw new FirmwareError('E_BAD_REQUEST', 'requestId must be a packet id (1..2^32-1)');
    if (to === this.nodeId || to === BROADCAST) throw new FirmwareError('E_BAD_REQUEST', 'an SOS answer goes to the node that sent it');
    const key = `${to}:${requestId}`;
    const before = this.answers.get(key);
    const answer = before && laterSosStage(report.stage, before.stage) !== report.stage ? before : report;
    this.answers.delete(key);
    this.answers.set(key, answer);
    if (this.answers.size > MAX_SOS_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
    const packetId = this.enqueue(to, { routing: sosStageRouting(answer), replyId: requestId }, 'sos', `sos-answer:${key}`);
    this.log.info({ to: formatNodeId(to), requestId, stage: answer.stage }, `SOS answered: ${answer.stage}`);
    return { packetId, stage: answer.stage };
  }
}
