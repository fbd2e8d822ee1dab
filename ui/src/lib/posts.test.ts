// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { makePost } from '../dev/fake-backend';
import { countedLabel, mergePosts, postKind, reactionList } from './posts';

const A = 'kith1a';

describe('postKind', () => {
  it('tells a repost (quote without text) from a quote (quote with text)', () => {
    expect(postKind(makePost({ author: A, quote_of: 'q', text: '' }))).toBe('repost');
    expect(postKind(makePost({ author: A, quote_of: 'q', text: 'So true' }))).toBe('quote');
    expect(postKind(makePost({ author: A, quote_of: 'q', text: '', attachments: ['ab'] }))).toBe('quote');
  });

  it('knows posts not received yet and deleted posts', () => {
    expect(postKind(makePost({ author: A, text: null }))).toBe('pending');
    expect(postKind(makePost({ author: A, text: null, deleted: true }))).toBe('deleted');
    expect(postKind(makePost({ author: A, reply_to: 'p' }))).toBe('reply');
    expect(postKind(makePost({ author: A }))).toBe('post');
  });
});

describe('reactionList', () => {
  it('lists positive counts, most first, ties in picker order', () => {
    expect(reactionList({ '🎉': 2, '👍': 2, '❤️': 5, '😢': 0, '🦀': 2 })).toEqual([
      { emoji: '❤️', count: 5 },
      { emoji: '👍', count: 2 },
      { emoji: '🎉', count: 2 },
      { emoji: '🦀', count: 2 },
    ]);
  });
});

describe('mergePosts', () => {
  it('appends a page without repeating posts already shown', () => {
    const a = makePost({ author: A, id: 'a' });
    const b = makePost({ author: A, id: 'b' });
    const c = makePost({ author: A, id: 'c' });
    expect(mergePosts([a, b], [b, c]).map((p) => p.id)).toEqual(['a', 'b', 'c']);
  });
});

describe('countedLabel', () => {
  it('names the action alone at zero, and with its count in the singular or plural', () => {
    expect(countedLabel('Reply', 0, 'reply', 'replies')).toBe('Reply');
    expect(countedLabel('Reply', 1, 'reply', 'replies')).toBe('Reply (1 reply)');
    expect(countedLabel('Reply', 12, 'reply', 'replies')).toBe('Reply (12 replies)');
  });
});
