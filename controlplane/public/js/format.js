// How values read on screen, in the chosen language and locale: relative times, battery, radio
// figures, coordinates, distances and bearings.

import { formatNumber, locale, t } from './i18n.js';

/**
 * "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; a date past a week.
 * @param {string | number | null | undefined} time ISO string or epoch ms
 * @param {number} [now]
 */
export function relativeTime(time, now = Date.now()) {
  if (time === null || time === undefined || time === '') return t('never');
  const ms = typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round((now - ms) / 1000);
  if (s < 5) return t('just now');
  if (s < 60) return t('{n} s ago', { n: s });
  if (s < 3600) return t('{n} min ago', { n: Math.floor(s / 60) });
  if (s < 86_400) return t('{n} h ago', { n: Math.floor(s / 3600) });
  if (s < 7 * 86_400) return t('{n} d ago', { n: Math.floor(s / 86_400) });
  return new Date(ms).toLocaleDateString(locale());
}

/**
 * How long until a time to come: "in 42 s", "in 5 min", "at 14:05:00"; "any moment now" once it is due.
 * (relativeTime is for the past: a time to come read "just now" there.)
 * @param {string | number | null | undefined} time ISO string or epoch ms
 * @param {number} [now]
 */
export function timeUntil(time, now = Date.now()) {
  if (time === null || time === undefined || time === '') return '—';
  const ms = typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.ceil((ms - now) / 1000);
  if (s <= 0) return t('any moment now');
  if (s < 60) return t('in {n} s', { n: s });
  if (s < 3600) return t('in {n} min', { n: Math.ceil(s / 60) });
  return t('at {time}', { time: clockTime(ms) });
}

/** @param {string | number | null | undefined} time */
export function clockTime(time) {
  if (time === null || time === undefined) return '—';
  const d = new Date(time);
  return Number.isFinite(d.getTime()) ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—';
}

/** @param {string | number | null | undefined} time */
export function dateTime(time) {
  if (time === null || time === undefined) return '—';
  const d = new Date(time);
  return Number.isFinite(d.getTime()) ? d.toLocaleString(locale()) : '—';
}

/** @param {string | number | null | undefined} time hours and minutes */
export function timeOfDay(time) {
  if (time === null || time === undefined) return '—';
  const d = new Date(time);
  return Number.isFinite(d.getTime()) ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' }) : '—';
}

/**
 * The battery level a telemetry frame reports, or null: telemetry is protobuf, so a level and a
 * voltage both 0 mean the device has no battery reading (as the hub reads it, fleet-ingest.ts).
 * @param {any} body
 * @returns {number | null}
 */
export function batteryReading(body) {
  const level = body?.batteryLevel ?? body?.battery;
  const voltage = body?.voltage;
  const measured = (typeof level === 'number' && level > 0) || (typeof voltage === 'number' && voltage > 0);
  return typeof level === 'number' && measured && level <= 101 ? level : null;
}

/** @param {unknown} value 0..100 %, 101 = external power (as the mesh reports it). */
export function battery(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (value > 100) return t('external power');
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(value / 100);
}

/** @param {unknown} value */
export function decibels(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${formatNumber(value, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} dB` : '—';
}

/** @param {unknown} value */
export function dbm(value) {
  return typeof value === 'number' && Number.isFinite(value) ? `${formatNumber(Math.round(value))} dBm` : '—';
}

/**
 * @param {number} lat
 * @param {number} lon
 */
export function coordinates(lat, lon) {
  const f = (/** @type {number} */ v) => formatNumber(Math.abs(v), { minimumFractionDigits: 5, maximumFractionDigits: 5 });
  return `${f(lat)}°${lat >= 0 ? t('N') : t('S')} ${f(lon)}°${lon >= 0 ? t('E') : t('W')}`;
}

/** @param {unknown} value */
export function number(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '—');
  return Math.abs(value) >= 100 || Number.isInteger(value) ? formatNumber(Math.round(value * 10) / 10) : formatNumber(value, { maximumSignificantDigits: 3 });
}

/** @param {number} metres "850 m", "2.4 km" */
export function distance(metres) {
  if (metres < 1000) return `${formatNumber(Math.round(metres), { maximumFractionDigits: 0 })} m`;
  return `${formatNumber(metres / 1000, { maximumFractionDigits: metres < 10_000 ? 1 : 0 })} km`;
}

/** @param {number} degrees 0 = north, clockwise: "NE (45°)" */
export function bearing(degrees) {
  const names = [t('N'), t('NE'), t('E'), t('SE'), t('S'), t('SW'), t('W'), t('NW')];
  const d = ((degrees % 360) + 360) % 360;
  return `${names[Math.round(d / 45) % 8]} (${formatNumber(Math.round(d), { maximumFractionDigits: 0 })}°)`;
}

/**
 * Great-circle distance (m) and initial bearing (degrees) from a to b.
 * @param {{ latitude: number, longitude: number }} a
 * @param {{ latitude: number, longitude: number }} b
 */
export function distanceAndBearing(a, b) {
  const rad = Math.PI / 180;
  const φ1 = a.latitude * rad;
  const φ2 = b.latitude * rad;
  const dφ = φ2 - φ1;
  const dλ = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dφ / 2) ** 2 + Math.cos(φ1) * Math.cos(φ2) * Math.sin(dλ / 2) ** 2;
  const metres = 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  const y = Math.sin(dλ) * Math.cos(φ2);
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(dλ);
  return { metres, degrees: (Math.atan2(y, x) / rad + 360) % 360 };
}

/**
 * An alert level as people read it ("Earthquake", "Deprem"); SOS stays SOS everywhere, and a level
 * this UI does not know is shown as it came.
 * @param {string | null | undefined} level
 */
export function alertLevel(level) {
  /** @type {Record<string, () => string>} */
  const labels = {
    SOS: () => 'SOS',
    SAFE: () => t('Safe'),
    WARNING: () => t('Warning'),
    EARTHQUAKE: () => t('Earthquake'),
    EVACUATE: () => t('Evacuate'),
    FIRE: () => t('Fire'),
    FLOOD: () => t('Flood'),
    MEDICAL: () => t('Medical emergency'),
    ALERT: () => t('Alert'),
    UNSPECIFIED: () => t('Alert'),
    '': () => t('Alert'),
  };
  const key = String(level ?? '').toUpperCase();
  return (labels[key] ?? (() => String(level)))();
}

/**
 * A sent message's or a switch command's status as people read it; one this UI does not know as it came.
 * @param {unknown} status
 */
export function deliveryStatus(status) {
  /** @type {Record<string, () => string>} */
  const labels = { queued: () => t('queued'), sent: () => t('sent'), delivered: () => t('delivered'), failed: () => t('failed'), refused: () => t('refused'), confirmed: () => t('confirmed'), unconfirmed: () => t('not confirmed') };
  return (labels[String(status)] ?? (() => String(status ?? '')))();
}

/**
 * Why a sent message failed, in the chosen language: the gateway's reasons (mesh-protocol's
 * GATEWAY_TX_REASONS, held equal to these by test/gateway-reasons-translated.test.ts) and the mesh's
 * routing errors this UI knows read translated; any other reason is shown as it came (the whole of it).
 * @param {unknown} error
 */
export function deliveryError(error) {
  const raw = String(error ?? '').trim();
  /** @type {Record<string, () => string>} */
  const reasons = {
    "the gateway's radio gave up: nobody acknowledged it": () => t("the gateway's radio gave up: nobody acknowledged it"),
    "pushed out of the gateway's full outbox by more urgent messages": () => t("pushed out of the gateway's full outbox by more urgent messages"),
    "the gateway's mesh router refused it": () => t("the gateway's mesh router refused it"),
    'the gateway could not read its stored copy': () => t('the gateway could not read its stored copy'),
    'refused by the gateway': () => t('refused by the gateway'),
    'this gateway cannot carry private messages': () => t('this gateway cannot carry private messages'),
    "the gateway restarted while queueing it and it is not in the gateway's outbox: it may have gone out or not, so it is not sent again": () => t("the gateway restarted while queueing it and it is not in the gateway's outbox: it may have gone out or not, so it is not sent again"),
    'the gateway restarted before the device confirmed the switch; it is not switched again': () => t('the gateway restarted before the device confirmed the switch; it is not switched again'),
    'no gateway took this broadcast within an hour, so it was given up: send it again if it still applies': () => t('no gateway took this broadcast within an hour, so it was given up: send it again if it still applies'),
    NO_ROUTE: () => t('no route to the node'),
    TIMEOUT: () => t('timed out'),
    MAX_RETRANSMIT: () => t('no acknowledgement after every retry'),
    NO_CHANNEL: () => t('the node does not share the channel'),
    TOO_LARGE: () => t('too large for the radio'),
    DUTY_CYCLE: () => t('the radio’s airtime limit was reached'),
    NO_RESPONSE: () => t('the node did not answer'),
    BAD_REQUEST: () => t('the node could not read it'),
    NOT_OPENED: () => t('the node received it but could not open it (its data was lost, or it was reflashed); send it again: the next message starts a new session'),
  };
  const notSent = /^not sent: /.exec(raw);
  const reason = notSent ? raw.slice(notSent[0].length) : raw;
  const known = reasons[reason];
  if (!known) return raw;
  return notSent ? t('not sent: {reason}', { reason: known() }) : known();
}

/**
 * Why the hub would not take a message for the radio, in the chosen language (no gateway to carry
 * it, a node it does not know); any other reason as the hub gave it.
 * @param {unknown} err an ApiError (its code) or any error
 * @param {string | null} name the recipient as people call it; null for everyone
 */
export function sendRefusal(err, name) {
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  if (code === 'E_UNAVAILABLE') return name === null ? t('this org has no gateway yet: nothing can carry it') : t('no gateway has heard {name} recently: nothing can reach it', { name });
  if (code === 'E_NOT_FOUND' && name !== null) return t('{name} is not in this org’s fleet', { name });
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why acknowledging or resolving an alert was refused, in the chosen language: someone else got
 * there first (the list is brought up to date by events); any other reason as the hub gave it.
 * @param {unknown} err
 */
export function alertRefusal(err) {
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  if (code === 'E_CONFLICT') return t('someone else has already handled it');
  if (code === 'E_NOT_FOUND') return t('the alert is no longer there');
  return err instanceof Error ? err.message : String(err);
}

/**
 * A map grid line's label in the reader's locale and compass letters: "46.52°N", "46,52°K".
 * @param {number} value degrees @param {number} digits decimals the grid's step needs @param {'lat' | 'lon'} axis
 */
export function gridCoordinate(value, digits, axis) {
  const hemi = axis === 'lat' ? (value > 0 ? t('N') : value < 0 ? t('S') : '') : value > 0 ? t('E') : value < 0 ? t('W') : '';
  return `${formatNumber(Math.abs(value), { minimumFractionDigits: digits, maximumFractionDigits: digits })}°${hemi}`;
}

/**
 * The quantities the gateway's sensor profiles name (gateway/src/profiles/device-profiles.ts), keyed by
 * the last part of a metric's name or by its device class: how people call them and their usual unit.
 * @type {Record<string, { name: () => string, unit?: string }>}
 */
const QUANTITIES = {
  temperature: { name: () => t('temperature'), unit: '°C' },
  tc: { name: () => t('temperature'), unit: '°C' },
  dewpoint: { name: () => t('dew point'), unit: '°C' },
  humidity: { name: () => t('humidity'), unit: '%' },
  rh: { name: () => t('humidity'), unit: '%' },
  pressure: { name: () => t('pressure'), unit: 'hPa' },
  power: { name: () => t('power'), unit: 'W' },
  apower: { name: () => t('power'), unit: 'W' },
  apparentpower: { name: () => t('apparent power'), unit: 'VA' },
  apparent_power: { name: () => t('apparent power'), unit: 'VA' },
  reactivepower: { name: () => t('reactive power'), unit: 'var' },
  reactive_power: { name: () => t('reactive power'), unit: 'var' },
  factor: { name: () => t('power factor') },
  power_factor: { name: () => t('power factor') },
  voltage: { name: () => t('voltage'), unit: 'V' },
  current: { name: () => t('current'), unit: 'A' },
  energy: { name: () => t('energy'), unit: 'kWh' },
  total: { name: () => t('energy, total'), unit: 'kWh' },
  today: { name: () => t('energy today'), unit: 'kWh' },
  yesterday: { name: () => t('energy yesterday'), unit: 'kWh' },
  illuminance: { name: () => t('illuminance'), unit: 'lx' },
  illuminance_lux: { name: () => t('illuminance'), unit: 'lx' },
  lux: { name: () => t('illuminance'), unit: 'lx' },
  co2: { name: () => 'CO₂', unit: 'ppm' },
  carbondioxide: { name: () => 'CO₂', unit: 'ppm' },
  carbon_dioxide: { name: () => 'CO₂', unit: 'ppm' },
  battery: { name: () => t('battery'), unit: '%' },
  linkquality: { name: () => t('link quality'), unit: 'lqi' },
  rssi: { name: () => t('signal strength'), unit: 'dBm' },
  signal_strength: { name: () => t('signal strength'), unit: 'dBm' },
  soil_moisture: { name: () => t('soil moisture'), unit: '%' },
  moisture: { name: () => t('moisture'), unit: '%' },
  pm25: { name: () => 'PM2.5', unit: 'µg/m³' },
  frequency: { name: () => t('frequency'), unit: 'Hz' },
  freq: { name: () => t('frequency'), unit: 'Hz' },
};

/** @param {string} metric @param {string | undefined} deviceClass */
function quantityOf(metric, deviceClass) {
  // A relay's state (Tasmota's POWER, a Shelly relay): on or off, not watts, whatever its name says.
  if (String(deviceClass ?? '').toLowerCase() === 'switch') return undefined;
  const id = metric.toLowerCase();
  if (Object.hasOwn(QUANTITIES, id)) return QUANTITIES[id];
  // "energy_power", "bme280_temperature": the profiles join a payload's path with "_".
  const parts = id.split('_');
  for (let i = 1; i < parts.length; i++) {
    const tail = parts.slice(i).join('_');
    if (Object.hasOwn(QUANTITIES, tail)) return QUANTITIES[tail];
  }
  const cls = String(deviceClass ?? '').toLowerCase();
  return cls && Object.hasOwn(QUANTITIES, cls) ? QUANTITIES[cls] : undefined;
}

/**
 * A sensor metric as people call it ("humidity", "nem"); one this UI does not know as it came.
 * @param {string} metric @param {string} [deviceClass]
 */
export function metricLabel(metric, deviceClass) {
  return quantityOf(metric, deviceClass)?.name() ?? metric;
}

/**
 * A metric's unit: the one its reading came with, else the known metric's usual one; '' when
 * neither says (a count, a switch's on/off).
 * @param {string} metric @param {{ unit?: string, deviceClass?: string }} [reading]
 */
export function metricUnit(metric, reading = {}) {
  return reading.unit || quantityOf(metric, reading.deviceClass)?.unit || '';
}

/**
 * A reading's value with its unit as the locale writes it ("66%", "%66", "17,6 °C"): the unit the
 * reading came with, else the known metric's usual one.
 * @param {number} value @param {string} metric @param {{ unit?: string, deviceClass?: string }} [reading]
 */
export function measurement(value, metric, reading = {}) {
  if (String(reading.deviceClass ?? '').toLowerCase() === 'switch' && (value === 0 || value === 1)) return value === 1 ? t('on') : t('off');
  const unit = metricUnit(metric, reading);
  if (unit === '%') return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(value / 100);
  return unit ? `${number(value)} ${unit}` : number(value);
}

/**
 * A mesh node's role (NodeInfo.Role in mesh-protocol's data.proto, and Meshtastic's) as people say
 * it; one this UI does not know as it came.
 * @param {unknown} role
 */
export function nodeRole(role) {
  /** @type {Record<string, () => string>} */
  const labels = {
    CLIENT: () => t('client'),
    ROUTER: () => t('router'),
    GATEWAY: () => t('gateway'),
    REPEATER: () => t('repeater'),
    CLIENT_MUTE: () => t('silent client'),
    ROUTER_CLIENT: () => t('router and client'),
    TRACKER: () => t('tracker'),
    SENSOR: () => t('sensor'),
  };
  const raw = String(role ?? '');
  return (labels[raw.toUpperCase()] ?? (() => raw))();
}
