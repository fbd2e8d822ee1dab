import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../test/fake-bindings'));

import { backend } from '../test/fake-bindings';
import { openClickedNotices } from './notices';
import { router } from './router.svelte';

describe('clicked notifications', () => {
  it('open the thread of the post the notification was about, and Back returns', async () => {
    router.reset({ name: 'activity' });
    const stop = openClickedNotices();
    await vi.waitFor(() => {
      backend.emit('openPost', { post: 'kithpost1reply' });
      expect(router.current).toEqual({ name: 'thread', post: 'kithpost1reply' });
    });
    expect(router.back()).toBe(true);
    expect(router.current).toEqual({ name: 'activity' });
    stop();
  });

  it('open Activity for the notification that sums up the rest of a batch', async () => {
    router.reset({ name: 'home' });
    const stop = openClickedNotices();
    await vi.waitFor(() => {
      backend.emit('openActivity', { counted: 12 });
      expect(router.current).toEqual({ name: 'activity' });
    });
    stop();
  });

  it('stop opening threads once stopped', async () => {
    router.reset({ name: 'home' });
    const stop = openClickedNotices();
    await Promise.resolve();
    stop();
    backend.emit('openPost', { post: 'kithpost1late' });
    await new Promise((r) => setTimeout(r, 10));
    expect(router.current).toEqual({ name: 'home' });
  });
});
