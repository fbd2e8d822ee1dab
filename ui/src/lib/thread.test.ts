// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { makePost } from '../dev/fake-backend';
import { buildThread, threadRows } from './thread';

const A = 'kith1author';
const post = (id: string, reply_to: string | null, created_at: number) => makePost({ id, author: A, reply_to, created_at });

describe('thread tree from reply_to', () => {
  it('hangs each reply under its parent, siblings oldest first, depth-first rows', () => {
    const posts = [
      post('c2', 'root', 30),
      post('root', null, 10),
      post('c1', 'root', 20),
      post('g1', 'c1', 40),
    ];
    expect(threadRows(posts).map((r) => [r.post.id, r.depth])).toEqual([
      ['root', 0],
      ['c1', 1],
      ['g1', 2],
      ['c2', 1],
    ]);
  });

  it('makes a post whose parent is not on the page a root (the ancestor chain starts there)', () => {
    const roots = buildThread([post('b', 'missing', 2), post('c', 'b', 3)]);
    expect(roots.map((r) => r.post.id)).toEqual(['b']);
    expect(roots[0]?.children.map((c) => c.post.id)).toEqual(['c']);
  });

  it('lists a post given twice once', () => {
    const p = post('x', null, 1);
    expect(threadRows([p, p])).toHaveLength(1);
  });

  it('survives a reply cycle by making its earliest post a root', () => {
    const rows = threadRows([post('a', 'b', 1), post('b', 'a', 2), post('self', 'self', 3)]);
    expect(rows.map((r) => [r.post.id, r.depth])).toEqual([
      ['a', 0],
      ['b', 1],
      ['self', 0],
    ]);
  });
});
