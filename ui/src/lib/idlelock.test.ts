import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHECK_MS, IdleLock } from './idlelock.svelte';

describe('IdleLock', () => {
  let lock: IdleLock;
  let locked: ReturnType<typeof vi.fn<() => void>>;
  beforeEach(() => {
    vi.useFakeTimers();
    lock = new IdleLock();
    locked = vi.fn<() => void>();
  });
  afterEach(() => {
    lock.stop();
    vi.useRealTimers();
  });

  it('locks once after the minutes chosen without a key, click or move', () => {
    lock.minutes = 5;
    lock.start(locked);
    vi.advanceTimersByTime(5 * 60_000 - CHECK_MS);
    expect(locked).not.toHaveBeenCalled();
    vi.advanceTimersByTime(CHECK_MS);
    expect(locked).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * 60_000);
    expect(locked, 'once, until started again').toHaveBeenCalledTimes(1);
  });

  it('waits again from each key, click or move of the pointer', () => {
    lock.minutes = 5;
    lock.start(locked);
    for (const e of ['keydown', 'pointerdown', 'pointermove', 'wheel']) {
      vi.advanceTimersByTime(4 * 60_000);
      window.dispatchEvent(new Event(e));
    }
    expect(locked).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5 * 60_000);
    expect(locked).toHaveBeenCalledTimes(1);
  });

  it('never locks at 0 minutes, and stops watching when stopped', () => {
    lock.minutes = 0;
    lock.start(locked);
    vi.advanceTimersByTime(24 * 60 * 60_000);
    expect(locked).not.toHaveBeenCalled();
    lock.minutes = 1;
    lock.stop();
    vi.advanceTimersByTime(10 * 60_000);
    expect(locked).not.toHaveBeenCalled();
  });

  it('counts time the computer slept', () => {
    lock.minutes = 15;
    lock.start(locked);
    // Asleep: no timer fired, the clock moved on.
    vi.setSystemTime(Date.now() + 2 * 60 * 60_000);
    lock.check();
    expect(locked).toHaveBeenCalledTimes(1);
  });
});
