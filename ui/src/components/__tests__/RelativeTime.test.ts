import { render } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { now } from '$lib/clock.svelte';
import RelativeTime from '../RelativeTime.svelte';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('RelativeTime', () => {
  const started = now.value;
  afterEach(() => {
    now.value = started;
  });

  it('moves an age on with the clock’s tick', () => {
    const { container } = render(RelativeTime, { at: Date.now() - 5 * MINUTE });
    expect(container.textContent).toBe('5m');
    now.value = Date.now() + 10 * MINUTE;
    flushSync();
    expect(container.textContent).toBe('15m');
  });

  it('leaves a date (a week old or more) alone when the clock ticks: nothing to redo', () => {
    const at = Date.now() - 30 * DAY;
    const { container } = render(RelativeTime, { at });
    const shown = container.textContent;
    expect(shown).not.toMatch(/\d[smhd]$/);
    // A year on, a date that followed the clock would gain its year.
    now.value = Date.now() + 365 * DAY;
    flushSync();
    expect(container.textContent).toBe(shown);
    expect(container.querySelector('time')?.getAttribute('datetime')).toBe(new Date(at).toISOString());
  });
});
