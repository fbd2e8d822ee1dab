// Relative and absolute time formatting. Times are ms since the Unix epoch.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** From this age on, a card shows the date rather than an age. */
const DATE_AFTER = 7 * DAY;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function monthDay(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
}

/**
 * Compact age for post cards: "now", "42s", "5m", "3h", "6d", then the date
 * ("Mar 4", or "Mar 4, 2023" in another year). A time in the future (a peer's
 * clock ahead of ours) reads "now".
 */
export function relativeTime(at: number, now: number = Date.now()): string {
  const age = now - at;
  if (age < 10 * SECOND) return 'now';
  if (age < MINUTE) return `${Math.floor(age / SECOND)}s`;
  if (age < HOUR) return `${Math.floor(age / MINUTE)}m`;
  if (age < DAY) return `${Math.floor(age / HOUR)}h`;
  if (age < DATE_AFTER) return `${Math.floor(age / DAY)}d`;
  const d = new Date(at);
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return sameYear ? monthDay(d) : `${monthDay(d)}, ${d.getFullYear()}`;
}

/**
 * Whether `relativeTime(at)` still changes as the clock runs: an age does,
 * a date (a week on) does not, but for the year it adds on a new year's day.
 */
export function followsClock(at: number, now: number = Date.now()): boolean {
  return now - at < DATE_AFTER;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

/** Sentence form for status lines: "just now", "5 minutes ago", "yesterday", … */
export function timeAgo(at: number | null, now: number = Date.now()): string {
  if (at === null) return 'never';
  const age = now - at;
  if (age < 45 * SECOND) return 'just now';
  if (age < HOUR) return plural(Math.max(1, Math.round(age / MINUTE)), 'minute');
  if (age < DAY) return plural(Math.floor(age / HOUR), 'hour');
  if (age < 2 * DAY) return 'yesterday';
  if (age < 30 * DAY) return plural(Math.floor(age / DAY), 'day');
  return `on ${fullDate(at)}`;
}

/** One formatter for every card: building one per call costs more than formatting. */
let fullDateFormat: Intl.DateTimeFormat | null = null;

/** Full local date and time, for `title` attributes. */
export function fullDate(at: number): string {
  fullDateFormat ??= new Intl.DateTimeFormat(undefined, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return fullDateFormat.format(at);
}

/** Machine-readable form for `<time datetime>`. */
export function isoDate(at: number): string {
  return new Date(at).toISOString();
}
