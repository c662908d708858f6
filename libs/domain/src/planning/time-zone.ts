/**
 * Local "HH:MM" cut-offs as instants. A warehouse gives either an IANA `timeZone` (converted with
 * `Intl.DateTimeFormat`, so daylight-saving changes are honoured) or a fixed `utcOffsetMinutes`; neither means UTC.
 */
import { validationFailed } from '../errors';
import { parseHhMm } from './courier-allocation';

export interface ZoneSpec {
  /** IANA time zone, e.g. "Asia/Shanghai"; wins over utcOffsetMinutes. */
  timeZone?: string;
  /** Fixed offset east of UTC in minutes, e.g. 480 for UTC+8. */
  utcOffsetMinutes?: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw validationFailed([{ field: 'warehouse.timeZone', reason: `unknown time zone ${timeZone}` }]);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset of local wall time from UTC at an instant, in milliseconds. */
export function zoneOffsetMs(zone: ZoneSpec, ms: number): number {
  if (!zone.timeZone) return (zone.utcOffsetMinutes ?? 0) * 60_000;
  const parts: Record<string, number> = {};
  for (const p of formatter(zone.timeZone).formatToParts(ms))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant at which local wall time `minutes` after midnight occurs on the local day `dayIndex` (days since 1970-01-01 local). */
export function localInstant(zone: ZoneSpec, dayIndex: number, minutes: number): number {
  const wall = dayIndex * DAY_MS + minutes * 60_000;
  let guess = wall - zoneOffsetMs(zone, wall);
  guess = wall - zoneOffsetMs(zone, guess);
  return guess;
}

/** Local day index (days since 1970-01-01 in local time) of an instant. */
export function localDayIndex(zone: ZoneSpec, ms: number): number {
  return Math.floor((ms + zoneOffsetMs(zone, ms)) / DAY_MS);
}

/** A local day index as its calendar date, "YYYY-MM-DD". */
export function dateOfDayIndex(dayIndex: number): string {
  return new Date(dayIndex * DAY_MS).toISOString().slice(0, 10);
}

/** The calendar date ("YYYY-MM-DD") of an instant in the zone: the key of a local day (bookings, hand-overs). */
export function localDate(zone: ZoneSpec, ms: number): string {
  return dateOfDayIndex(localDayIndex(zone, ms));
}

/** Every instant of a daily local "HH:MM" cut-off from the local day before `fromMs` to the day after `toMs`, ascending. */
export function cutoffInstants(zone: ZoneSpec, cutoff: string, fromMs: number, toMs: number): number[] {
  const minutes = parseHhMm(cutoff, 'cutoff');
  const first = localDayIndex(zone, fromMs) - 1;
  const last = localDayIndex(zone, toMs) + 1;
  const out: number[] = [];
  for (let d = first; d <= last; d++) out.push(localInstant(zone, d, minutes));
  return out;
}
