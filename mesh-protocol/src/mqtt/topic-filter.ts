// MQTT 3.1.1 topic names and filters (spec §4.7): what is well formed, what a filter matches, and
// whether a topic or filter stays inside a literal prefix, whether one filter covers or overlaps
// another. The gateway's ACL and topic rules, its own subscriptions and the hub's module
// permissions share these so they cannot disagree about what a topic means.

/** The spec caps every UTF-8 string on the wire at 65,535 bytes. */
export const MAX_TOPIC_BYTES = 65_535;

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

function hasForbiddenChar(s: string): boolean {
  // U+0000 is forbidden outright [MQTT-4.7.3-2]; a broker that let it through would hand C clients
  // (mosquitto, Home Assistant's paho) a topic they silently truncate into a different one.
  return s.includes('\u0000');
}

/** A topic name a client may publish to: non-empty, no wildcards, no NUL, within the length cap. */
export function isValidTopicName(topic: string): boolean {
  if (topic.length === 0 || hasForbiddenChar(topic)) return false;
  if (topic.includes('+') || topic.includes('#')) return false;
  // A UTF-16 code unit takes at most 3 UTF-8 bytes, so short topics (every real one) skip the count.
  return topic.length * 3 <= MAX_TOPIC_BYTES || Buffer.byteLength(topic, 'utf8') <= MAX_TOPIC_BYTES;
}

/** A subscription filter: '#' only as the whole last level, '+' only as a whole level. */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || hasForbiddenChar(filter)) return false;
  if (Buffer.byteLength(filter, 'utf8') > MAX_TOPIC_BYTES) return false;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return false;
    if (level.includes('+') && level !== '+') return false;
  }
  return true;
}

/**
 * Whether `filter` matches the topic name `topic`, including the two rules people forget:
 * 'a/#' also matches 'a', and a filter that starts with a wildcard never matches a '$' topic.
 * It runs for every message delivered, so it walks both strings level by level without splitting them.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  if (topic.charCodeAt(0) === DOLLAR && isWildcardLevel(filter, 0, levelEnd(filter, 0))) return false;
  let fi = 0;
  let ti = 0;
  let topicLeft = true;
  for (;;) {
    const fe = levelEnd(filter, fi);
    const oneChar = fe - fi === 1 ? filter.charCodeAt(fi) : -1;
    if (oneChar === HASH) return fe === fl;
    if (!topicLeft) return false;
    const te = levelEnd(topic, ti);
    if (oneChar !== PLUS && !sameLevel(filter, fi, fe, topic, ti, te)) return false;
    if (fe === fl) return te === tl;
    fi = fe + 1;
    if (te === tl) topicLeft = false;
    else ti = te + 1;
  }
}

/** Index of the '/' ending the level that starts at `from`, or the string's length. */
function levelEnd(s: string, from: number): number {
  const i = s.indexOf('/', from);
  return i < 0 ? s.length : i;
}

function isWildcardLevel(s: string, from: number, end: number): boolean {
  if (end - from !== 1) return false;
  const c = s.charCodeAt(from);
  return c === PLUS || c === HASH;
}

function sameLevel(a: string, af: number, ae: number, b: string, bf: number, be: number): boolean {
  if (ae - af !== be - bf) return false;
  for (let i = 0; i < ae - af; i++) if (a.charCodeAt(af + i) !== b.charCodeAt(bf + i)) return false;
  return true;
}

/**
 * Whether every topic that `topicOrFilter` can name or match lies under `prefix` (its literal
 * levels joined by '/', none containing '/'): its first levels must spell the prefix literally, so
 * no wildcard can widen it past the prefix. That is, it is the prefix, or the prefix and a '/'.
 */
export function isInsidePrefix(topicOrFilter: string, prefix: string): boolean {
  return topicOrFilter.startsWith(prefix) && (topicOrFilter.length === prefix.length || topicOrFilter.charCodeAt(prefix.length) === SLASH);
}

/** Every topic `inner` matches is matched by `outer`. */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    if (o[i] === '#') return true;
    if (i >= n.length) return false;
    if (n[i] === '#') return false;
    if (o[i] !== '+' && (n[i] === '+' || o[i] !== n[i])) return false;
  }
  return o.length === n.length;
}

/** Some topic is matched by both filters. */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; ; i++) {
    if (x[i] === '#' || y[i] === '#') return true;
    if (i >= x.length || i >= y.length) return x.length === y.length;
    if (x[i] !== '+' && y[i] !== '+' && x[i] !== y[i]) return false;
  }
}
