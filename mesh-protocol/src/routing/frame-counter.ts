// The sender's monotonic frame counter: nonce material for channel crypto and the replay check.
// It must never repeat for a node: devices persist it (see firmware), reserving blocks ahead so a
// crash skips numbers instead of reusing them.

export interface FrameCounter {
  next(): number;
}

export class MemoryFrameCounter implements FrameCounter {
  constructor(private value = 0) {}
  next(): number {
    if (this.value >= 0xffffffff) throw new RangeError('frame counter exhausted: rotate the channel key');
    return ++this.value;
  }
}
