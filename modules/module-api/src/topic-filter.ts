// MQTT topic-filter matching for the manifest's mqtt permissions (relative to unibos/v1/).

/** True when `topic` (no wildcards) matches `filter` (+ one level, # the rest). */
export function topicFilterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** True when every topic `inner` matches is matched by `outer` (a request within a declared filter). */
export function topicFilterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    if (o[i] === '#') return true;
    if (i >= n.length) return false;
    if (n[i] === '#') return false;
    if (o[i] === '+') continue;
    if (n[i] === '+' || o[i] !== n[i]) return false;
  }
  return o.length === n.length;
}
