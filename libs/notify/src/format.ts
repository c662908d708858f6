/** Value formatting and escaping shared by the templates: times in the reader's zone, numbers, HTML, Markdown. */

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

const timeFormats = new Map<string, Intl.DateTimeFormat>();

function timeFormat(timeZone: string): Intl.DateTimeFormat {
  let f = timeFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    });
    timeFormats.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the zone; a user's stored zone may be stale or mistyped. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    timeFormat(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * `2026-11-11 20:30 (GMT+8)` in the given zone. The same numeric shape for both locales: it is unambiguous to
 * every reader and does not shift with the ICU version. A value that is not a parseable time is shown as given
 * rather than failing the whole notification.
 */
export function formatTime(iso: string, timeZone: string = DEFAULT_TIME_ZONE): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const zone = isValidTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
  const parts: Record<string, string> = {};
  for (const p of timeFormat(zone).formatToParts(ms)) parts[p.type] = p.value;
  // ICU versions spell a zero offset `GMT` or `GMT+0`; one spelling keeps messages and tests stable.
  const offset = /^(GMT|UTC)([+-]0(:00)?)?$/.test(parts.timeZoneName ?? '') ? 'UTC' : parts.timeZoneName;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} (${offset})`;
}

export function formatNumber(n: number, locale: Locale): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * CommonMark backslash escapes for values placed in IM Markdown, so a SKU like `A_B*1` or a task title with
 * `[brackets](…)` shows literally instead of turning into emphasis, a link or (WeCom) a `<font>` tag. Only the
 * characters that act mid-line are escaped: values never start a line, and escaping `-` or `(` would litter
 * times and numbers with backslashes on the renderers that do not honour escapes. Newlines become spaces
 * because a value sits inside one list item.
 */
export function escapeMarkdown(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/[\\`*_[\]<>~]/g, (c) => `\\${c}`);
}

/** The URL when it is an absolute http(s) URL, else undefined: a link never becomes `javascript:` or relative. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** One line, for headers and titles. */
export function singleLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** At most `max` characters, with an ellipsis when cut (long error messages in workflow.failed). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
