// birlikteyiz's CLI commands (`unibos module run birlikteyiz <command>`): read a saved feed
// document the way the hub would, to check a source's format offline.

import { readFileSync, statSync } from 'node:fs';
import { parseAfadFeed } from './feeds/afad-feed.ts';
import { parseEmscFeed } from './feeds/emsc-feed.ts';
import { parseKandilliFeed } from './feeds/kandilli-feed.ts';
import type { ParsedFeed } from './feeds/quake.ts';
import { parseUsgsFeed } from './feeds/usgs-feed.ts';

/** Far more than any feed's answer (USGS's all_month is about 10 MB). */
const MAX_FEED_BYTES = 64 * 1024 * 1024;

const PARSERS: Record<string, (b: Uint8Array) => ParsedFeed> = { usgs: parseUsgsFeed, emsc: parseEmscFeed, afad: parseAfadFeed, kandilli: parseKandilliFeed };

export const commands = {
  'parse-feed': {
    summary: 'parse-feed <usgs|emsc|afad|kandilli> FILE: list the quakes a saved feed document holds',
    async run(argv: string[], out: (line: string) => void): Promise<number> {
      const [source, file] = argv;
      const parse = source ? PARSERS[source] : undefined;
      if (!parse || !file) {
        out('usage: parse-feed <usgs|emsc|afad|kandilli> FILE');
        return 2;
      }
      // A wrong file (from a USB stick, a download) is one clear line, never a stack trace.
      let parsed: ParsedFeed;
      try {
        const size = statSync(file).size;
        if (size > MAX_FEED_BYTES) throw new Error(`${size} bytes; a feed document is at most ${MAX_FEED_BYTES}`);
        parsed = parse(readFileSync(file));
      } catch (err) {
        out(`parse-feed: ${file}: ${(err as Error).message}`);
        return 1;
      }
      const { quakes, rejected } = parsed;
      for (const q of quakes) out(`${new Date(q.timeMs).toISOString()}  M${q.magnitude?.toFixed(1) ?? '?'} ${q.magnitudeType ?? ''}  ${q.latitude.toFixed(3)},${q.longitude.toFixed(3)}  ${q.depthKm ?? '?'} km  ${q.place}`);
      out(`${quakes.length} quakes, ${rejected} entries rejected`);
      return 0;
    },
  },
};
