// Splits a byte stream into text lines (on '\n', trimming a '\r') with a length cap, so a peer that never sends a newline
// cannot make us buffer without bound: an overlong line is reported and skipped.

import type { Readable } from 'node:stream';

export function readLines(
  stream: Readable,
  maxLength: number,
  onLine: (line: string) => void,
  onOverlong: () => void,
  encoding: BufferEncoding = 'utf8',
): void {
  let buffered = '';
  let skipping = false;
  stream.setEncoding(encoding);
  stream.on('data', (chunk: string) => {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (skipping) {
        skipping = false;
        buffered = '';
        continue;
      }
      const line = (buffered + piece).replace(/\r$/, '');
      buffered = '';
      if (line.length > maxLength) onOverlong();
      else if (line.length > 0) onLine(line);
    }
    if (skipping) return;
    buffered += chunk.slice(start);
    if (buffered.length > maxLength) {
      buffered = '';
      skipping = true;
      onOverlong();
    }
  });
}
