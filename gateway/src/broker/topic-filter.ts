// MQTT 3.1.1 topic names and filters (spec §4.7): what is well formed, what a filter matches, and
// whether a topic or filter stays inside a literal prefix. The ACL and the gateway's own
// subscriptions share these so they cannot disagree about what a topic means.

/** The spec caps every UTF-8 string on the wire at 65,535 bytes. */
export const MAX_TOPIC_BYTES = 65_535;

function hasForbiddenChar(s: string): boolean {
  // U+0000 is forbidden outright [MQTT-4.7.3-2]; a broker that let it through would hand C clients
  // (mosquitto, Home Assistant's paho) a topic they silently truncate into a different one.
  return s.includes('\u0000');
}

/** A topic name a client may publish to: non-empty, no wildcards, no NUL, within the length cap. */
export function isValidTopicName(topic: string): boolean {
  if (topic.length === 0 || hasForbiddenChar(topic)) return false;
  if (topic.includes('+') || topic.includes('#')) return false;
  return Buffer.byteLength(topic, 'utf8') <= MAX_TOPIC_BYTES;
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
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether every topic that `topicOrFilter` can name or match lies under `prefix` (given as levels):
 * its first levels must spell the prefix literally, so no wildcard can widen it past the prefix.
 */
export function isInsidePrefix(topicOrFilter: string, prefix: readonly string[]): boolean {
  const levels = topicOrFilter.split('/');
  if (levels.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (levels[i] !== prefix[i]) return false;
  }
  return true;
}
