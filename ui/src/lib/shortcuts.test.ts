import { describe, expect, it } from 'vitest';
import { isTypingTarget, keysFor, stepShortcut } from './shortcuts';

describe('stepShortcut', () => {
  it('runs two-key sequences such as "g h"', () => {
    const first = stepShortcut(null, 'g');
    expect(first).toEqual({ action: null, pending: 'g' });
    expect(stepShortcut(first.pending, 'h')).toEqual({ action: 'home', pending: null });
    expect(stepShortcut('g', 's')).toEqual({ action: 'settings', pending: null });
    expect(stepShortcut('g', 'm')).toEqual({ action: 'moderation', pending: null });
    // "k" alone is "previous post"; after "g" it opens Share Kith.
    expect(stepShortcut('g', 'k')).toEqual({ action: 'share', pending: null });
    expect(stepShortcut(null, 'k')).toEqual({ action: 'prev', pending: null });
  });

  it('runs single keys and restarts after an unknown follow-up', () => {
    expect(stepShortcut(null, '/').action).toBe('search');
    expect(stepShortcut(null, 'n').action).toBe('compose');
    expect(stepShortcut(null, 'j').action).toBe('next');
    expect(stepShortcut('g', 'j')).toEqual({ action: 'next', pending: null });
    expect(stepShortcut(null, 'x')).toEqual({ action: null, pending: null });
  });

  it('describes shortcuts for the sidebar', () => {
    expect(keysFor('home')).toBe('g h');
    expect(keysFor('search')).toBe('/');
  });
});

describe('isTypingTarget', () => {
  it('leaves keys typed into fields to the field', () => {
    expect(isTypingTarget(document.createElement('textarea'))).toBe(true);
    expect(isTypingTarget(document.createElement('input'))).toBe(true);
    const box = document.createElement('input');
    box.type = 'checkbox';
    expect(isTypingTarget(box)).toBe(false);
    expect(isTypingTarget(document.createElement('button'))).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});
