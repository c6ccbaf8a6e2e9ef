// Which CPU a native addon (.node, an ELF shared object) was built for: a bundle for a Raspberry Pi
// must not carry an x86-64 better-sqlite3 that only fails when the device first opens its database.

import { closeSync, openSync, readSync } from 'node:fs';

/** Node's `process.arch` names for the ELF e_machine values we ship to. */
const MACHINES: Record<number, string> = { 0x3e: 'x64', 0xb7: 'arm64', 0x28: 'arm', 0x03: 'ia32' };

/** The architecture `path` was built for, or undefined when it is not an ELF file we know. */
export function elfArch(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(20);
    if (readSync(fd, head, 0, 20, 0) < 20) return undefined;
    if (head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    // EI_DATA (byte 5): 1 little-endian, 2 big-endian; e_machine is the half-word at offset 18.
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    return MACHINES[machine];
  } finally {
    closeSync(fd);
  }
}
