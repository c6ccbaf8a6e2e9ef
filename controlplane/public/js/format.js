// How values read on screen: relative times, battery, radio figures, coordinates.

/**
 * "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; a date past a week.
 * @param {string | number | null | undefined} time ISO string or epoch ms
 * @param {number} [now]
 */
export function relativeTime(time, now = Date.now()) {
  if (time === null || time === undefined || time === '') return 'never';
  const t = typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(t)) return '—';
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return new Date(t).toLocaleDateString();
}

/**
 * @param {string | number | null | undefined} time
 */
export function clockTime(time) {
  if (time === null || time === undefined) return '—';
  const d = new Date(time);
  return Number.isFinite(d.getTime()) ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—';
}

/**
 * @param {string | number | null | undefined} time
 */
export function dateTime(time) {
  if (time === null || time === undefined) return '—';
  const d = new Date(time);
  return Number.isFinite(d.getTime()) ? d.toLocaleString() : '—';
}

/** @param {unknown} value 0..100 %, 101 = external power (as the mesh reports it). */
export function battery(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (value > 100) return 'external power';
  return `${Math.round(value)} %`;
}

/** @param {unknown} value */
export function decibels(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${value.toFixed(1)} dB` : '—';
}

/** @param {unknown} value */
export function dbm(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${Math.round(value)} dBm` : '—';
}

/**
 * @param {number} lat
 * @param {number} lon
 */
export function coordinates(lat, lon) {
  return `${Math.abs(lat).toFixed(5)}°${lat >= 0 ? 'N' : 'S'} ${Math.abs(lon).toFixed(5)}°${lon >= 0 ? 'E' : 'W'}`;
}

/** @param {unknown} value */
export function number(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '—');
  return Math.abs(value) >= 100 || Number.isInteger(value) ? String(Math.round(value * 10) / 10) : value.toPrecision(3);
}
