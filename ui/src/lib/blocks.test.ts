import { describe, expect, it } from 'vitest';
import { inBlocks } from './blocks';

const posts = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ id: `p${from + i}` }));
const shape = (blocks: { key: number; posts: { id: string }[] }[]) =>
  blocks.map((b) => `${b.key}:${b.posts[0]?.id}+${b.posts.length}`);

describe('inBlocks', () => {
  it('cuts a list into blocks of the given size, in order', () => {
    expect(shape(inBlocks(posts(0, 65), new Map(), 30))).toEqual(['0:p0+30', '1:p30+30', '2:p60+5']);
    expect(inBlocks([], new Map(), 30)).toEqual([]);
  });

  it('keeps every other post in its block when one is removed', () => {
    const placed = new Map<string, number>();
    const all = posts(0, 65);
    inBlocks(all, placed, 30);
    const without = all.filter((p) => p.id !== 'p3');
    // Before, the removal moved p30 into the first block and p60 into the second.
    expect(shape(inBlocks(without, placed, 30))).toEqual(['0:p0+29', '1:p30+30', '2:p60+5']);
    const firstGone = without.filter((p) => Number(p.id.slice(1)) >= 30);
    expect(shape(inBlocks(firstGone, placed, 30))).toEqual(['1:p30+30', '2:p60+5']);
  });

  it('fills the last block with posts added at the end, then starts the next', () => {
    const placed = new Map<string, number>();
    inBlocks(posts(0, 25), placed, 30);
    expect(shape(inBlocks(posts(0, 31), placed, 30))).toEqual(['0:p0+30', '1:p30+1']);
  });

  it('starts over from the first block once the remembered places are cleared', () => {
    const placed = new Map<string, number>();
    inBlocks(posts(0, 65), placed, 30);
    placed.clear();
    expect(shape(inBlocks(posts(60, 70), placed, 30))).toEqual(['0:p60+10']);
  });
});
