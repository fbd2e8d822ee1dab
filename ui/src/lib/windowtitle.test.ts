import { describe, expect, it } from 'vitest';
import { APP_TITLE, titleFor } from './windowtitle';

describe('titleFor', () => {
  it('is the app name alone with nothing new', () => {
    expect(titleFor(0, 100)).toBe(APP_TITLE);
    expect(titleFor(-1, 100)).toBe(APP_TITLE);
  });

  it('adds the count of new items, and "99+" at the count’s cap as the sidebar does', () => {
    expect(titleFor(1, 100)).toBe('Kith (1)');
    expect(titleFor(42, 100)).toBe('Kith (42)');
    expect(titleFor(100, 100)).toBe('Kith (99+)');
  });
});
