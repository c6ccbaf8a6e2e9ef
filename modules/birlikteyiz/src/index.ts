// The public face of @unibos/module-birlikteyiz for code outside the hub (the demo, tools).

export { default as checkinAnswerer, isCheckinQuestion, type CheckinAnswererOptions } from './device/checkin-answerer.ts';
export { usgsFeedDocument, type DemoQuake } from './demo-feed.ts';
export { parseUsgsFeed } from './feeds/usgs-feed.ts';
export { parseEmscFeed, parseEmscPush } from './feeds/emsc-feed.ts';
export { parseAfadFeed } from './feeds/afad-feed.ts';
export { parseKandilliFeed } from './feeds/kandilli-feed.ts';
export { QuakeDedup, sameQuake, SAME_QUAKE } from './quake-dedup.ts';
