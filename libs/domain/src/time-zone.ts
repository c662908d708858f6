/** Whether a name is an IANA time zone this runtime knows (Intl is pure: no clock, no I/O). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
