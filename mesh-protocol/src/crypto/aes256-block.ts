// AES-256 forward block cipher (FIPS 197) in plain JavaScript with the usual 32-bit T-tables.
// CCM only ever encrypts blocks, and a frame needs about a dozen: calling into OpenSSL for them
// cost more per call than the AES rounds themselves, and allocated a Buffer each time.

const SBOX = new Uint8Array(256);
const T0 = new Uint32Array(256);
const T1 = new Uint32Array(256);
const T2 = new Uint32Array(256);
const T3 = new Uint32Array(256);

function xtime(b: number): number {
  return ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff;
}

// The S-box from its definition (inverse in GF(2^8), then the affine map), so no table is typed in.
(function buildTables(): void {
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= xtime(x); // multiply by 3, a generator
  }
  for (let i = 0; i < 256; i++) {
    const inv = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let s = inv;
    let r = inv;
    for (let k = 0; k < 4; k++) {
      r = ((r << 1) | (r >>> 7)) & 0xff;
      s ^= r;
    }
    SBOX[i] = s ^ 0x63;
  }
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const s2 = xtime(s);
    const s3 = s2 ^ s;
    const t = ((s2 << 24) | (s << 16) | (s << 8) | s3) >>> 0;
    T0[i] = t;
    T1[i] = ((t >>> 8) | (t << 24)) >>> 0;
    T2[i] = ((t >>> 16) | (t << 16)) >>> 0;
    T3[i] = ((t >>> 24) | (t << 8)) >>> 0;
  }
})();

const ROUNDS = 14;

export class Aes256Block {
  private readonly rk = new Uint32Array(4 * (ROUNDS + 1));

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`AES-256 needs a 32-byte key, got ${key.length}`);
    const rk = this.rk;
    for (let i = 0; i < 8; i++) rk[i] = ((key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!) >>> 0;
    let rcon = 1;
    for (let i = 8; i < rk.length; i++) {
      let t = rk[i - 1]!;
      if (i % 8 === 0) {
        t = subWord(((t << 8) | (t >>> 24)) >>> 0) ^ (rcon << 24);
        rcon = xtime(rcon);
      } else if (i % 8 === 4) {
        t = subWord(t);
      }
      rk[i] = (rk[i - 8]! ^ t) >>> 0;
    }
  }

  /** Encrypts the 16 bytes at src[srcOff] into dst[dstOff] (src and dst may be the same). */
  encrypt(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
    const rk = this.rk;
    let s0 = load(src, srcOff) ^ rk[0]!;
    let s1 = load(src, srcOff + 4) ^ rk[1]!;
    let s2 = load(src, srcOff + 8) ^ rk[2]!;
    let s3 = load(src, srcOff + 12) ^ rk[3]!;
    let k = 4;
    for (let round = 1; round < ROUNDS; round++) {
      const t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ rk[k]!;
      const t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ rk[k + 1]!;
      const t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ rk[k + 2]!;
      const t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ rk[k + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
      k += 4;
    }
    store(dst, dstOff, lastRound(s0, s1, s2, s3) ^ rk[k]!);
    store(dst, dstOff + 4, lastRound(s1, s2, s3, s0) ^ rk[k + 1]!);
    store(dst, dstOff + 8, lastRound(s2, s3, s0, s1) ^ rk[k + 2]!);
    store(dst, dstOff + 12, lastRound(s3, s0, s1, s2) ^ rk[k + 3]!);
  }
}

function lastRound(a: number, b: number, c: number, d: number): number {
  return (SBOX[a >>> 24]! << 24) | (SBOX[(b >>> 16) & 0xff]! << 16) | (SBOX[(c >>> 8) & 0xff]! << 8) | SBOX[d & 0xff]!;
}

function subWord(w: number): number {
  return ((SBOX[w >>> 24]! << 24) | (SBOX[(w >>> 16) & 0xff]! << 16) | (SBOX[(w >>> 8) & 0xff]! << 8) | SBOX[w & 0xff]!) >>> 0;
}

function load(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function store(b: Uint8Array, o: number, w: number): void {
  b[o] = w >>> 24;
  b[o + 1] = (w >>> 16) & 0xff;
  b[o + 2] = (w >>> 8) & 0xff;
  b[o + 3] = w & 0xff;
}
