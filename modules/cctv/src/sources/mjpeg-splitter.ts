// Cuts JPEGs out of an MJPEG byte stream (untrusted: whatever the camera or the network sends) by
// their start (FF D8) and end (FF D9) markers, whatever the multipart boundaries say. Memory stays
// bounded: a JPEG that grows past the limit without ending is dropped and counted.

export const MAX_JPEG = 8 * 1024 * 1024;

export class MjpegSplitter {
  private buf: Uint8Array = new Uint8Array(0);
  /** Parts that were not a whole JPEG under the limit. */
  dropped = 0;

  constructor(private readonly maxJpeg = MAX_JPEG) {}

  /** The JPEGs completed by `chunk`, each a copy of its bytes. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let buf = concat(this.buf, chunk);
    for (;;) {
      const start = indexOf2(buf, 0xff, 0xd8, 0);
      if (start < 0) {
        // Keep a trailing FF: it may be the first half of the next start marker.
        buf = buf.length && buf[buf.length - 1] === 0xff ? buf.slice(buf.length - 1) : new Uint8Array(0);
        break;
      }
      const end = indexOf2(buf, 0xff, 0xd9, start + 2);
      if (end < 0) {
        if (buf.length - start > this.maxJpeg) {
          this.dropped++;
          buf = new Uint8Array(0);
        } else buf = buf.slice(start);
        break;
      }
      if (end + 2 - start > this.maxJpeg) this.dropped++;
      else out.push(buf.slice(start, end + 2));
      buf = buf.subarray(end + 2);
    }
    this.buf = buf;
    return out;
  }

  /** Bytes held while waiting for a JPEG to end. */
  get pending(): number {
    return this.buf.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf2(buf: Uint8Array, b0: number, b1: number, from: number): number {
  for (let i = from; i < buf.length - 1; i++) if (buf[i] === b0 && buf[i + 1] === b1) return i;
  return -1;
}
