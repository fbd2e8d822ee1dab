// @vitest-environment node
import { beforeEach, describe, expect, it } from 'vitest';
import { router, sectionOf } from './router.svelte';

describe('router', () => {
  beforeEach(() => router.reset());

  it('goes forward and back through a stack', () => {
    router.go({ name: 'thread', post: 'kithpost1a' });
    router.go({ name: 'profile', account: 'kith1b' });
    expect(router.current).toEqual({ name: 'profile', account: 'kith1b' });
    expect(router.back()).toBe(true);
    expect(router.current).toEqual({ name: 'thread', post: 'kithpost1a' });
    expect(router.back()).toBe(true);
    expect(router.current).toEqual({ name: 'home' });
    expect(router.back()).toBe(false);
  });

  it('ignores opening the screen already shown; replace adds no history', () => {
    router.go({ name: 'home' });
    expect(router.canGoBack).toBe(false);
    router.go({ name: 'search', query: '' });
    router.replace({ name: 'search', query: 'tea' });
    router.back();
    expect(router.current).toEqual({ name: 'home' });
  });

  it('maps routes to sidebar sections (own profile only)', () => {
    expect(sectionOf({ name: 'profile', account: null }, 'kith1me')).toBe('profile');
    expect(sectionOf({ name: 'profile', account: 'kith1me' }, 'kith1me')).toBe('profile');
    expect(sectionOf({ name: 'profile', account: 'kith1other' }, 'kith1me')).toBeNull();
    expect(sectionOf({ name: 'thread', post: 'p' }, null)).toBeNull();
    expect(sectionOf({ name: 'moderation' }, null)).toBe('moderation');
    expect(sectionOf({ name: 'reports' }, null)).toBe('moderation');
    expect(sectionOf({ name: 'share' }, null)).toBe('share');
  });
});
