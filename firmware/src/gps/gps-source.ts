// The GPS boundary: what the node loop needs from a position source (gpsd, a raw NMEA receiver,
// or the simulated twin), nothing more.

export type FixMode = 'none' | '2d' | '3d';

/**
 * A position with no newer report for this long counts as lost (a receiver that went silent: gpsd
 * keeps it, a UART stays open). Receivers report every 1 s, slow ones every 5 s.
 */
export const DEFAULT_MAX_FIX_AGE_MS = 15_000;

export interface GpsFix {
  /** 'none' = no usable position (lost fix, or no fix yet); latitude/longitude are then NaN. */
  mode: FixMode;
  /** Degrees, WGS84, + north. */
  latitude: number;
  /** Degrees, WGS84, + east. */
  longitude: number;
  /** Metres above mean sea level, when the receiver reports it. */
  altitudeM?: number;
  /** UTC time of the fix from the satellites, ms since the epoch. */
  timeMs?: number;
  /** Satellites used in the fix. */
  satellites?: number;
  /** Horizontal dilution of precision. */
  hdop?: number;
  /** Ground speed, m/s. */
  speedMps?: number;
  /** Course over ground, degrees true. */
  courseDeg?: number;
}

export interface GpsStats {
  /** Reports (gpsd JSON objects or NMEA sentences) accepted. */
  accepted: number;
  /** Malformed or checksum-failing input, counted and dropped. */
  dropped: number;
  /** Times the source reconnected after losing gpsd or the serial port. */
  reconnects: number;
}

export interface GpsSource {
  /** Connects; rejects with a clear error (code E_GPS_UNAVAILABLE) if the source cannot be reached.
   *  After a successful start the source keeps reconnecting on its own when the link drops. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Called for every new fix, including a 'none' fix when the position is lost. */
  onFix(listener: (fix: GpsFix) => void): void;
  readonly lastFix: GpsFix | undefined;
  readonly stats: GpsStats;
}
