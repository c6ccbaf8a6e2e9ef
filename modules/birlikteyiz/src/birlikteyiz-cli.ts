// birlikteyiz's CLI commands (`unibos module run birlikteyiz <command>`): read a saved feed
// document the way the hub would, to check a source's format offline.

import { readFileSync } from 'node:fs';
import { parseAfadFeed } from './feeds/afad-feed.ts';
import { parseEmscFeed } from './feeds/emsc-feed.ts';
import { parseKandilliFeed } from './feeds/kandilli-feed.ts';
import type { ParsedFeed } from './feeds/quake.ts';
import { parseUsgsFeed } from './feeds/usgs-feed.ts';

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
      const { quakes, rejected } = parse(readFileSync(file));
      for (const q of quakes) out(`${new Date(q.timeMs).toISOString()}  M${q.magnitude?.toFixed(1) ?? '?'} ${q.magnitudeType ?? ''}  ${q.latitude.toFixed(3)},${q.longitude.toFixed(3)}  ${q.depthKm ?? '?'} km  ${q.place}`);
      out(`${quakes.length} quakes, ${rejected} entries rejected`);
      return 0;
    },
  },
};
