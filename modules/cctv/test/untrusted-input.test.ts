// Property tests for what a camera or an admin can send the module: the MJPEG splitter on arbitrary
// bytes in arbitrary chunks (never throws, memory bounded, every JPEG between garbage recovered
// whole), and camera settings from arbitrary JSON (a typed camera list or E_CCTV_CONFIG, nothing else).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCameras } from '../src/camera-config.ts';
import { CctvError } from '../src/cctv-error.ts';
import { MjpegSplitter } from '../src/sources/mjpeg-splitter.ts';

/** Splits `bytes` at the given cut points. */
function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

test('arbitrary bytes in arbitrary chunks never throw and never hold more than the limit', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
      const s = new MjpegSplitter(512);
      for (const c of chunks(bytes, cuts)) {
        for (const j of s.push(c)) {
          assert.ok(j.length <= 512 && j[0] === 0xff && j[1] === 0xd8 && j[j.length - 2] === 0xff && j[j.length - 1] === 0xd9);
        }
        assert.ok(s.pending <= 512, `holds ${s.pending} bytes`);
      }
    }),
    { numRuns: 500 },
  );
});

test('JPEGs between multipart headers and garbage come out whole and in order, however the stream is cut', () => {
  // A JPEG body without FF D8 / FF D9 inside (as entropy-coded data stuffs FF with 00).
  const body = fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => (x === 0xff ? 0xfe : x)));
  const garbage = fc.uint8Array({ maxLength: 50 }).map((b) => b.map((x) => (x === 0xff ? 0x00 : x)));
  fc.assert(
    fc.property(fc.array(fc.tuple(garbage, body), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (parts, cuts) => {
      const jpegs = parts.map(([, b]) => Uint8Array.from([0xff, 0xd8, ...b, 0xff, 0xd9]));
      const stream = Uint8Array.from(parts.flatMap(([g], i) => [...Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n'), ...g, ...jpegs[i]!, 13, 10]));
      const s = new MjpegSplitter();
      const got = chunks(stream, cuts).flatMap((c) => s.push(c));
      assert.deepEqual(got.map((j) => Buffer.from(j).toString('hex')), jpegs.map((j) => Buffer.from(j).toString('hex')));
      assert.equal(s.dropped, 0);
    }),
    { numRuns: 300 },
  );
});

test('a JPEG that never ends is dropped and counted, and the next one still comes out', () => {
  const s = new MjpegSplitter(100);
  assert.deepEqual(s.push(Uint8Array.from([0xff, 0xd8, ...new Array(150).fill(1)])), []);
  assert.equal(s.dropped, 1);
  assert.equal(s.pending, 0);
  assert.deepEqual([...s.push(Uint8Array.from([7, 0xff, 0xd8, 5, 0xff, 0xd9]))[0]!], [0xff, 0xd8, 5, 0xff, 0xd9]);
});

test('camera settings from arbitrary JSON are a typed list or E_CCTV_CONFIG naming the field', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      try {
        const cams = parseCameras(value);
        for (const c of cams) assert.ok(typeof c.id === 'string' && typeof c.upload === 'boolean' && Array.isArray(c.zones));
      } catch (err) {
        assert.ok(err instanceof CctvError && err.code === 'E_CCTV_CONFIG', String(err));
        assert.match(err.message, /^cameras/);
      }
    }),
    { numRuns: 1000 },
  );
  assert.throws(() => parseCameras([{ id: 'a', source: 'rtsp://x/y', zones: [{ name: 'z', points: [[0, 0], [2, 0], [0, 1]] }] }]), { code: 'E_CCTV_CONFIG', message: /cameras\[0\]\.zones\[0\]\.points\[1\]/ });
  assert.equal(parseCameras([{ id: 'a', source: 'rtsp://x/y' }])[0]!.upload, false, 'upload is off unless an admin turns it on');
});

test('a part that never ends costs time in proportion to its bytes, not their square (the event loop keeps serving)', () => {
  // 16 MB in 16 KiB chunks after one start marker and no end (an H.264 stream given as MJPEG, a
  // camera that never closes its picture): twice the limit, each byte looked at about once.
  const s = new MjpegSplitter();
  const chunk = new Uint8Array(16 * 1024).fill(0x11);
  const first = Uint8Array.from(chunk);
  first[0] = 0xff;
  first[1] = 0xd8;
  // The same 16 MB with no start marker (nothing held, each byte looked at once) in the same run,
  // so a busy machine slows both alike: not a time on the clock.
  const plain = new MjpegSplitter();
  let started = performance.now();
  for (let i = 0; i < 1024; i++) plain.push(chunk);
  const baselineMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < 1024; i++) assert.deepEqual(s.push(i === 0 ? first : chunk), []);
  const ms = performance.now() - started;
  assert.equal(s.dropped, 1);
  // Linear work is a few times the plain scan; rescanning and recopying the held part on every chunk took seconds.
  assert.ok(ms < 50 * Math.max(baselineMs, 1), `${Math.round(ms)} ms on the event loop for 16 MB, against ${Math.round(baselineMs)} ms with nothing held`);
});
