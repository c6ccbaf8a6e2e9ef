// A broken or hostile Kandilli page (the feed is plain HTTP, anything on the path can answer) must
// not freeze the hub: the parser reads it in one pass, and a page far larger than lst0.asp is
// refused at the poll, counted on the feed's status, and the feed recovers with the next good page.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseKandilliFeed } from '../src/feeds/kandilli-feed.ts';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

/** The documented cap (README): a real lst0.asp is about 100 KB. */
const CAP = 2 * 1024 * 1024;
const HEADER = 'Tarih      Saat      Enlem(N)  Boylam(E) Derinlik(km)  MD   ML   Mw    Yer   Çözüm Niteliği\n';

/** Pages of `size` bytes in the shapes that made a backtracking regex rescan the rest from every position. */
const HOSTILE: Record<string, (size: number) => string> = {
  "one line of '<' without '>'": (n) => `<pre>\n${HEADER}${'<'.repeat(n)}\n</pre>`,
  "'<pre>' again and again, never closed": (n) => HEADER + '<pre>'.repeat(n / 5),
  "'<pre' without '>'": (n) => HEADER + '<pre'.repeat(n / 4),
  'a date line whose fields never end': (n) => `<pre>\n${HEADER}2023.02.06 04:17:32 ${' 1.1'.repeat(n / 4)}\r<x\n</pre>`,
  "tags opened on every line": (n) => `<pre>\n${HEADER}${'<b x\n'.repeat(n / 5)}</pre>`,
};

test("a hostile Kandilli page up to the size limit is read in one pass: no slower than an ordinary page of its size, many times over", () => {
  // Sizes rising to the limit: a parser whose work grows with the square of the page (seconds at
  // 64 KB, an hour at 2 MB) is thousands of times slower than on an ordinary page of the same size;
  // a linear one reads both in milliseconds. Measured against that page in the same run, not
  // against the clock, so a busy machine slows both alike.
  // The real page's quake lines (latin1, as Kandilli sends it), repeated to the size.
  const real = readFileSync(new URL('./fixtures/kandilli-lst0.html', import.meta.url), 'latin1');
  const lines = real.split('\n');
  const firstQuake = lines.findIndex((l) => /^\d{4}\.\d\d\.\d\d /.test(l));
  const quakeLines = `${lines.slice(firstQuake, firstQuake + 3).join('\n')}\n`;
  const ordinary = (n: number) => Buffer.from(`${lines.slice(0, firstQuake).join('\n')}\n${quakeLines.repeat(Math.ceil(n / quakeLines.length))}</pre></BODY></HTML>`, 'latin1');
  const parseMs = (bytes: Uint8Array): { ms: number; quakes: number } => {
    const started = performance.now();
    let quakes = -1;
    try {
      quakes = parseKandilliFeed(bytes).quakes.length;
    } catch (err) {
      assert.ok(err instanceof Error && !(err instanceof RangeError), String(err));
    }
    return { ms: performance.now() - started, quakes };
  };
  for (const size of [64 * 1024, 256 * 1024, CAP - 4096]) {
    const baseline = parseMs(ordinary(size));
    assert.ok(baseline.quakes > 0, 'the ordinary page is read');
    for (const [shape, page] of Object.entries(HOSTILE)) {
      const { ms, quakes } = parseMs(new TextEncoder().encode(page(size)));
      assert.ok(quakes <= 0, `${shape}: no quake out of it`);
      // Every request to the hub (SOS, check-ins, the map) waits behind the parse.
      assert.ok(ms < 50 * Math.max(baseline.ms, 1), `${shape}, ${Math.round(size / 1024)} KiB: ${Math.round(ms)} ms against ${Math.round(baseline.ms)} ms for an ordinary page: the work grows faster than the page`);
    }
  }
});

test('a Kandilli answer over 2 MB is refused unread, counted on the feed status with a clear reason, and the next good page is read', async () => {
  const f = fakeModule({ orgA: [node('n1', 37.3, 37.1)] });
  const jobs: Array<() => unknown> = [];
  let answer: () => Response = () => new Response(null, { status: 500 });
  let sent = 0;
  Object.assign(f.m, {
    settings: { ...SETTINGS, kandilliUrl: 'http://www.koeri.boun.edu.tr/scripts/lst0.asp' },
    jobs: { every: (_n: string, _ms: number, run: () => unknown) => (jobs.push(run), { runNow() {}, setInterval() {}, cancel() {} }) },
    fetch: async () => answer(),
  });
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin({ register: async () => {} } as never, { module: f.m });
  // 8 MB of harmless padding after a real header, in 64 KiB chunks: within the general 64 MB limit.
  answer = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          c.enqueue(new TextEncoder().encode(sent++ === 0 ? `<pre>\n${HEADER}` : ' '.repeat(64 * 1024)));
          if (sent > 128) c.close();
        },
      }),
      { status: 200 },
    );
  await jobs[0]!();
  const status = (): { state: string; lastError: string | null; failures: number } => f.published.filter((p) => p.type === 'module.birlikteyiz.feed_status').at(-1)!.data;
  assert.equal(status().state, 'error', 'an 8 MB "event list" is not read as one');
  assert.equal(status().failures, 1, 'counted');
  assert.match(status().lastError ?? '', /larger than 2097152 bytes/, 'and says why');
  assert.ok(sent * 64 * 1024 <= CAP + 2 * 64 * 1024, `read ${sent} chunks: not past the limit`);
  const when = new Date(NOW - 5 * 60_000 + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ').replaceAll('-', '.');
  answer = () => new Response(`<pre>\n${HEADER}${when}  37.1757   37.0560        8.6      -.-  4.4  -.-   SOFALACI (GAZIANTEP)      İlksel\n</pre>`, { status: 200 });
  await jobs[0]!();
  assert.equal(status().state, 'ok', 'the next good page is read');
  assert.equal(status().failures, 0);
});
