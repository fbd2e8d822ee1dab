import { beforeEach, describe, expect, it, vi } from 'vitest';
import { draftCount, draftKey, forgetAllDrafts, keepDraft, MAX_DRAFTS, takeDraft, type Draft } from './drafts';

const draft = (text: string, images: Draft['images'] = []): Draft => ({ text, picks: [], cwOn: false, cw: '', images });

describe('drafts', () => {
  beforeEach(() => forgetAllDrafts());

  it('keys a new post, a reply and a quote apart', () => {
    expect(new Set([draftKey(null, null), draftKey('kithpost1a', null), draftKey(null, 'kithpost1a')]).size).toBe(3);
  });

  it('hands a kept draft back once', () => {
    keepDraft('post', draft('half a thought'));
    expect(takeDraft('post')?.text).toBe('half a thought');
    expect(takeDraft('post')).toBeUndefined();
  });

  it('lets an empty draft go, but keeps one with only a warning or an image', () => {
    keepDraft('post', draft('   '));
    expect(draftCount()).toBe(0);
    keepDraft('reply:a', { ...draft(''), cwOn: true, cw: 'spoilers' });
    keepDraft('reply:b', draft('', [{ file: new File(['x'], 'a.png'), url: '', description: '' }]));
    expect(draftCount()).toBe(2);
  });

  it(`keeps at most ${MAX_DRAFTS}, letting the oldest go with its image previews`, () => {
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    keepDraft('reply:0', draft('first', [{ file: new File(['x'], 'a.png'), url: 'blob:first', description: '' }]));
    for (let i = 1; i <= MAX_DRAFTS; i++) keepDraft(`reply:${i}`, draft(`draft ${i}`));
    expect(draftCount()).toBe(MAX_DRAFTS);
    expect(takeDraft('reply:0')).toBeUndefined();
    expect(revoke).toHaveBeenCalledWith('blob:first');
    expect(takeDraft(`reply:${MAX_DRAFTS}`)?.text).toBe(`draft ${MAX_DRAFTS}`);
    revoke.mockRestore();
  });
});
