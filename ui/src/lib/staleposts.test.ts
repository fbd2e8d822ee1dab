import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../test/fake-bindings'));

import { backend } from '../test/fake-bindings';
import { makePost } from '../dev/fake-backend';
import { postChanged, postTouched } from './postchanges';
import { GATHER_MS, onStalePosts } from './staleposts';

describe('onStalePosts', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands on the posts of arrivals and of changed counts gathered over a while, each id once', async () => {
    const calls: string[][] = [];
    const stop = onStalePosts((ids) => calls.push([...ids]));
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

  it('hands on a post this window touched (a reply or quote of it sent), and nothing once stopped', async () => {
    const calls: string[][] = [];
    const stop = onStalePosts((ids) => calls.push([...ids]));
    postTouched('answered');
    postChanged(makePost({ id: 'edited-here', author: 'a' })); // known as it is: not read again
    await vi.advanceTimersByTimeAsync(GATHER_MS);
    expect(calls).toEqual([['answered']]);
    stop();
    postTouched('later');
    await vi.advanceTimersByTimeAsync(GATHER_MS);
    expect(calls).toEqual([['answered']]);
  });

  it('hands nothing on once stopped, not even what was gathered before', async () => {
    const fn = vi.fn();
    const stop = onStalePosts(fn);
    await vi.advanceTimersByTimeAsync(0);
    backend.emit('countsChanged', { posts: ['p1'] });
    stop();
    backend.emit('countsChanged', { posts: ['p2'] });
    await vi.advanceTimersByTimeAsync(GATHER_MS * 2);
    expect(fn).not.toHaveBeenCalled();
  });
});
