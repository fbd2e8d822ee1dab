import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../test/fake-bindings'));

import { backend } from '../test/fake-bindings';
import { GATHER_MS, onPostsChangedElsewhere } from './remotechanges';

describe('onPostsChangedElsewhere', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands on the posts of arrivals and reactions gathered over a while, each id once', async () => {
    const calls: string[][] = [];
    const stop = onPostsChangedElsewhere((ids) => calls.push([...ids]));
    await vi.advanceTimersByTimeAsync(0); // the listeners are in place
    backend.emit('postsArrived', { account: 'a', posts: ['p1', 'p2'], newInHome: [] });
    backend.emit('countsChanged', { posts: ['p2', 'p3'] });
    await vi.advanceTimersByTimeAsync(GATHER_MS - 1);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([['p1', 'p2', 'p3']]);
    backend.emit('countsChanged', { posts: ['p4'] });
    await vi.advanceTimersByTimeAsync(GATHER_MS);
    expect(calls).toEqual([['p1', 'p2', 'p3'], ['p4']]);
    stop();
  });

  it('hands nothing on once stopped, not even what was gathered before', async () => {
    const fn = vi.fn();
    const stop = onPostsChangedElsewhere(fn);
    await vi.advanceTimersByTimeAsync(0);
    backend.emit('countsChanged', { posts: ['p1'] });
    stop();
    backend.emit('countsChanged', { posts: ['p2'] });
    await vi.advanceTimersByTimeAsync(GATHER_MS * 2);
    expect(fn).not.toHaveBeenCalled();
  });
});
