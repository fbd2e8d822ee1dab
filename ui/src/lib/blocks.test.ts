import { describe, expect, it } from 'vitest';
import { BlockLayout } from './blocks';

type P = { id: string };
const posts = (from: number, to: number): P[] => Array.from({ length: to - from }, (_, i) => ({ id: `p${from + i}` }));
const shape = (blocks: { key: number; posts: P[] }[]) => blocks.map((b) => `${b.key}:${b.posts[0]?.id}+${b.posts.length}`);

describe('BlockLayout', () => {
  it('cuts a list into blocks of the given size, in order', () => {
    expect(shape(new BlockLayout<P>(30).of(posts(0, 65)))).toEqual(['0:p0+30', '1:p30+30', '2:p60+5']);
    expect(new BlockLayout<P>(30).of([])).toEqual([]);
  });

  it('keeps every other post in its block when one is removed', () => {
    const layout = new BlockLayout<P>(30);
    const all = posts(0, 65);
    layout.of(all);
    const without = all.filter((p) => p.id !== 'p3');
    // Cut by position, the removal would move p30 into the first block and p60 into the second.
    expect(shape(layout.of(without))).toEqual(['0:p0+29', '1:p30+30', '2:p60+5']);
    const firstGone = without.filter((p) => Number(p.id.slice(1)) >= 30);
    expect(shape(layout.of(firstGone))).toEqual(['1:p30+30', '2:p60+5']);
  });

  it('fills the last block with posts added at the end, then starts the next', () => {
    const layout = new BlockLayout<P>(30);
    layout.of(posts(0, 25));
    expect(shape(layout.of(posts(0, 31)))).toEqual(['0:p0+30', '1:p30+1']);
  });

  it('returns an unchanged block as the same object, and a changed one as a new object', () => {
    const layout = new BlockLayout<P>(30);
    const all = posts(0, 65);
    const before = layout.of(all);
    const after = layout.of([...all, ...posts(65, 70)]);
    expect(after[0]).toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect(after[2]).not.toBe(before[2]);
    expect(shape(after)).toEqual(['0:p0+30', '1:p30+30', '2:p60+10']);
    // A post replaced by a new version (an edit) changes its block only.
    const edited = after.flatMap((b) => b.posts).map((p) => (p.id === 'p40' ? { id: 'p40' } : p));
    const again = layout.of(edited);
    expect(again[0]).toBe(after[0]);
    expect(again[1]).not.toBe(after[1]);
    expect(again[1]?.posts[10]).toBe(edited[40]);
  });

  it('starts over from the first block once cleared', () => {
    const layout = new BlockLayout<P>(30);
    const first = layout.of(posts(0, 65));
    layout.clear();
    const next = layout.of(posts(60, 70));
    expect(shape(next)).toEqual(['0:p60+10']);
    expect(next[0]).not.toBe(first[0]);
  });
});
