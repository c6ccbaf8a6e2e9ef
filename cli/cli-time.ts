// Times as a person at this machine reads them: its own time zone, not UTC.

const two = (n: number): string => String(n).padStart(2, '0');

/** HH:MM:SS in local time; an unreadable time as it came. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** YYYY-MM-DD HH:MM in local time; an unreadable time as it came. */
export function localDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
