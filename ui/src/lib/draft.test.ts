// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { buildDraft, draftProblem, MAX_POST_CHARS, repostDraft } from './draft';

const base = { text: 'hello', cwOn: false, cw: '', images: [], descriptions: [], replyTo: null, quoteOf: null };

describe('buildDraft', () => {
  it('sends the warning only when it is switched on and not blank', () => {
    expect(buildDraft({ ...base, cw: 'spoilers' }).cw).toBeNull();
    expect(buildDraft({ ...base, cwOn: true, cw: '  spoilers ' }).cw).toBe('spoilers');
    expect(buildDraft({ ...base, cwOn: true, cw: '   ' }).cw).toBeNull();
  });

  it('sends blank text as null (an image-only post) and keeps reply and quote targets', () => {
    const images = [{ name: 'a.png', base64: 'AAAA' }];
    expect(buildDraft({ ...base, text: '  ', images, replyTo: 'kithpost1x' })).toEqual({
      text: null,
      cw: null,
      images,
      descriptions: [],
      replyTo: 'kithpost1x',
      quoteOf: null,
    });
  });

  it('sends descriptions trimmed, one per image at most, without empty ones at the end', () => {
    const images = [
      { name: 'a.png', base64: 'AAAA' },
      { name: 'b.png', base64: 'BBBB' },
      { name: 'c.png', base64: 'CCCC' },
    ];
    const descriptions = ['', '  A red door  ', ' ', 'one too many', 'two'];
    expect(buildDraft({ ...base, images, descriptions }).descriptions).toEqual(['', 'A red door']);
    expect(buildDraft({ ...base, images: images.slice(0, 1), descriptions: [' '] }).descriptions).toEqual([]);
  });

  it('drops trailing blanks, such as the space after a picked mention, and keeps leading ones', () => {
    expect(buildDraft({ ...base, text: '  indented\n  poem @Ada \n' }).text).toBe('  indented\n  poem @Ada');
  });

  it('makes a repost a quote without text', () => {
    expect(repostDraft('kithpost1q')).toEqual({
      text: null,
      cw: null,
      images: [],
      descriptions: [],
      replyTo: null,
      quoteOf: 'kithpost1q',
    });
  });
});

describe('draftProblem', () => {
  it('needs text or an image', () => {
    expect(draftProblem({ text: ' ', imageCount: 0, quoteOf: null })).not.toBeNull();
    expect(draftProblem({ text: '', imageCount: 1, quoteOf: null })).toBeNull();
    expect(draftProblem({ text: '', imageCount: 0, quoteOf: 'kithpost1q' })).toMatch(/quote/);
  });

  it('allows 5000 characters, counted as the node counts them (emoji = 1)', () => {
    expect(draftProblem({ text: 'a'.repeat(MAX_POST_CHARS), imageCount: 0, quoteOf: null })).toBeNull();
    expect(draftProblem({ text: 'a'.repeat(MAX_POST_CHARS + 1), imageCount: 0, quoteOf: null })).toMatch(/5000/);
    expect(draftProblem({ text: '😀'.repeat(MAX_POST_CHARS), imageCount: 0, quoteOf: null })).toBeNull();
  });
});
