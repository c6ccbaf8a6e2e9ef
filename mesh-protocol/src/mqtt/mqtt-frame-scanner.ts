// Follows MQTT packet boundaries in a byte stream by reading only each fixed header's
// remaining-length field. aedes' parser buffers a whole packet before it looks at it, and the
// field allows 256 MiB, so without this one client could make a broker (gateway or hub) hold that
// much per connection; here the size is known from the header's first bytes and the connection can be cut.

export type FrameVerdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'oversized'; readonly declaredBytes: number }
  | { readonly kind: 'malformed'; readonly reason: string };

const OK: FrameVerdict = { kind: 'ok' };

/** The largest value the 4-byte variable length encoding can carry (spec §2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

export class MqttFrameScanner {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private bodyLeft = 0;
  private verdict: FrameVerdict = OK;
  private packets = 0;

  /**
   * @param maxRemainingLength the largest remaining length (bytes after the fixed header) accepted.
   * @param maxFirstRemainingLength the same for the connection's first packet, which is its CONNECT
   *   [MQTT-3.1.0-1] and arrives before the client has proved anything (default: maxRemainingLength).
   */
  constructor(
    private readonly maxRemainingLength: number,
    private readonly maxFirstRemainingLength: number = maxRemainingLength,
  ) {}

  /** Whole packets seen so far. */
  get completePackets(): number {
    return this.packets;
  }

  /** Consumes the next chunk; once a verdict is not 'ok' it sticks, as the stream can no longer be followed. */
  feed(chunk: Uint8Array): FrameVerdict {
    if (this.verdict.kind !== 'ok') return this.verdict;
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'type': {
          // Packet type 0 is reserved [MQTT-2.2.1]; anything else is the parser's business.
          if (chunk[i]! >> 4 === 0) return (this.verdict = { kind: 'malformed', reason: 'reserved packet type 0' });
          i++;
          this.state = 'length';
          this.length = 0;
          this.multiplier = 1;
          this.lengthBytes = 0;
          break;
        }
        case 'length': {
          const byte = chunk[i++]!;
          this.length += (byte & 0x7f) * this.multiplier;
          this.multiplier *= 128;
          this.lengthBytes++;
          if (byte & 0x80) {
            if (this.lengthBytes === 4) {
              return (this.verdict = { kind: 'malformed', reason: 'remaining length longer than 4 bytes' });
            }
            break;
          }
          if (this.length > (this.packets === 0 ? this.maxFirstRemainingLength : this.maxRemainingLength)) {
            return (this.verdict = { kind: 'oversized', declaredBytes: this.length });
          }
          this.bodyLeft = this.length;
          this.endBodyIfDone();
          break;
        }
        case 'body': {
          const take = Math.min(this.bodyLeft, chunk.length - i);
          i += take;
          this.bodyLeft -= take;
          this.endBodyIfDone();
          break;
        }
      }
    }
    return this.verdict;
  }

  private endBodyIfDone(): void {
    if (this.bodyLeft === 0) {
      this.packets++;
      this.state = 'type';
    } else {
      this.state = 'body';
    }
  }
}
