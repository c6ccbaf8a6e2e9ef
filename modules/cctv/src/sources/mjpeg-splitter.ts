// Cuts JPEGs out of an MJPEG byte stream (untrusted: whatever the camera or the network sends) by
// their start (FF D8) and end (FF D9) markers, whatever the multipart boundaries say. Memory stays
// bounded: a JPEG that grows past the limit without ending is dropped and counted.

export const MAX_JPEG = 8 * 1024 * 1024;

export class MjpegSplitter {
  /** Bytes held (the first `len`; the rest is spare room), searched from `scan` on. */
  private buf: Uint8Array = new Uint8Array(0);
  private len = 0;
  private scan = 0;
  /** Where the JPEG being collected starts in `buf`, or -1 while looking for a start marker. */
  private start = -1;
  /** Parts that were not a whole JPEG under the limit. */
  dropped = 0;

  constructor(private readonly maxJpeg = MAX_JPEG) {}

  /**
   * The JPEGs completed by `chunk`, each a copy of its bytes. Each byte is searched once, whatever
   * the chunk sizes (a part held until its end is not scanned again with every chunk).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.start < 0) {
        const start = indexOf2(this.buf, this.len, 0xff, 0xd8, this.scan);
        if (start < 0) {
          // Keep a trailing FF: it may be the first half of the next start marker.
          const keep = this.len && this.buf[this.len - 1] === 0xff ? 1 : 0;
          this.buf.copyWithin(0, this.len - keep, this.len);
          this.len = keep;
          this.scan = 0;
          break;
        }
        this.start = start;
        this.scan = start + 2;
      }
      const end = indexOf2(this.buf, this.len, 0xff, 0xd9, this.scan);
      if (end < 0) {
        if (this.len - this.start > this.maxJpeg) {
          this.dropped++;
          this.len = 0;
          this.scan = 0;
          this.start = -1;
        } else {
          // Move the part to the front; the search for its end resumes where it stopped.
          const resume = Math.max(this.start + 2, this.len - 1) - this.start;
          if (this.start > 0) this.buf.copyWithin(0, this.start, this.len);
          this.len -= this.start;
          this.start = 0;
          this.scan = resume;
        }
        break;
      }
      if (end + 2 - this.start > this.maxJpeg) this.dropped++;
      else out.push(this.buf.slice(this.start, end + 2));
      this.start = -1;
      this.scan = end + 2;
    }
    return out;
  }

  /** Bytes held while waiting for a JPEG to end. */
  get pending(): number {
    return this.len;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.len + chunk.length, this.buf.length * 2, 64 * 1024));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }
}

function indexOf2(buf: Uint8Array, len: number, b0: number, b1: number, from: number): number {
  for (let i = from; i < len - 1; i++) if (buf[i] === b0 && buf[i + 1] === b1) return i;
  return -1;
}
