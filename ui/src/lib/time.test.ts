// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { followsClock, isoDate, relativeTime, timeAgo } from './time';

const NOW = new Date(2025, 5, 15, 12, 0, 0).getTime(); // 15 June 2025, local time
const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('relativeTime', () => {
  it('says "now" for the last few seconds and for times in the future (clock skew)', () => {
    expect(relativeTime(NOW, NOW)).toBe('now');
    expect(relativeTime(NOW - 9 * s, NOW)).toBe('now');
    expect(relativeTime(NOW + 5 * m, NOW)).toBe('now');
  });

  it('counts seconds, minutes, hours and days', () => {
    expect(relativeTime(NOW - 42 * s, NOW)).toBe('42s');
    expect(relativeTime(NOW - 5 * m, NOW)).toBe('5m');
    expect(relativeTime(NOW - 59 * m, NOW)).toBe('59m');
    expect(relativeTime(NOW - 3 * h, NOW)).toBe('3h');
    expect(relativeTime(NOW - 6 * d, NOW)).toBe('6d');
  });

  it('shows the date after a week, with the year only when it differs', () => {
    expect(relativeTime(new Date(2025, 2, 4, 9).getTime(), NOW)).toBe('Mar 4');
    expect(relativeTime(new Date(2023, 11, 31, 9).getTime(), NOW)).toBe('Dec 31, 2023');
  });
});

describe('followsClock', () => {
  it('is true while a card shows an age and false once it shows a date', () => {
    expect(followsClock(NOW - 5 * m, NOW)).toBe(true);
    expect(followsClock(NOW - 6 * d, NOW)).toBe(true);
    expect(relativeTime(NOW - 7 * d, NOW)).not.toMatch(/d$/);
    expect(followsClock(NOW - 7 * d, NOW)).toBe(false);
  });
});

describe('timeAgo', () => {
  it('reads as a sentence for sync status lines', () => {
    expect(timeAgo(null, NOW)).toBe('never');
    expect(timeAgo(NOW - 10 * s, NOW)).toBe('just now');
    expect(timeAgo(NOW - 60 * s, NOW)).toBe('1 minute ago');
    expect(timeAgo(NOW - 5 * m, NOW)).toBe('5 minutes ago');
    expect(timeAgo(NOW - 2 * h, NOW)).toBe('2 hours ago');
    expect(timeAgo(NOW - 30 * h, NOW)).toBe('yesterday');
    expect(timeAgo(NOW - 3 * d, NOW)).toBe('3 days ago');
  });
});

describe('isoDate', () => {
  it('is the machine-readable form for <time datetime>', () => {
    expect(isoDate(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});
