import { describe, expect, it } from 'vitest';
import { forgetSavedDraft, loadSavedDraft, MAX_SAVED_DRAFTS, saveDraft, savedDraftKeys } from './saveddrafts';

const ADA = 'kith1ada';
const BEA = 'kith1bea';
const words = (text: string, descriptions: string[] = []) => ({
  text,
  picks: [{ name: 'Bea', account: BEA }],
  cwOn: true,
  cw: 'film',
  descriptions,
});

describe('saved drafts', () => {
  it('give back what was saved, images and descriptions included, per account and key', async () => {
    const photo = new File(['png bytes'], 'bench.png', { type: 'image/png' });
    await saveDraft(ADA, 'post', words('half a thought', ['A bench']), [photo]);
    const back = await loadSavedDraft(ADA, 'post');
    expect(back).toMatchObject({ text: 'half a thought', cwOn: true, cw: 'film', descriptions: ['A bench'] });
    expect(back?.picks).toEqual([{ name: 'Bea', account: BEA }]);
    expect(back?.files).toHaveLength(1);
    expect(back?.files[0]).toMatchObject({ name: 'bench.png', type: 'image/png', size: 9 });
    expect(new TextDecoder().decode(await back?.files[0]?.arrayBuffer())).toBe('png bytes');
    expect(await loadSavedDraft(ADA, 'reply:kithpost1x')).toBeNull();
    expect(await loadSavedDraft(BEA, 'post')).toBeNull();
  });

  it('keep the images saved before when saved again without them', async () => {
    const photo = new File(['png bytes'], 'bench.png', { type: 'image/png' });
    await saveDraft(ADA, 'post', words('one'), [photo]);
    await saveDraft(ADA, 'post', words('one two', ['Described later']), null);
    const back = await loadSavedDraft(ADA, 'post');
    expect(back?.text).toBe('one two');
    expect(back?.files).toHaveLength(1);
    expect(back?.descriptions).toEqual(['Described later']);
  });

  it('land in the order they were asked, an image read first or not', async () => {
    const photo = new File(['x'.repeat(100_000)], 'big.png', { type: 'image/png' });
    const first = saveDraft(ADA, 'post', words('older'), [photo]);
    const second = saveDraft(ADA, 'post', words('newer'), null);
    await Promise.all([first, second]);
    expect((await loadSavedDraft(ADA, 'post'))?.text).toBe('newer');
    await saveDraft(ADA, 'post', words('gone'), null);
    const sent = forgetSavedDraft(ADA, 'post');
    await sent;
    expect(await loadSavedDraft(ADA, 'post')).toBeNull();
  });

  it('read a damaged row as far as it goes, and a row without text as none', async () => {
    await saveDraft(ADA, 'post', words('first'), []);
    const open = indexedDB.open('kith-drafts', 1);
    const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
    const tx = db.transaction('words', 'readwrite');
    tx.objectStore('words').put({ id: `${ADA} post`, account: ADA, savedAt: 1, text: 'kept', picks: 'junk', cw: 7 });
    tx.objectStore('words').put({ id: `${ADA} reply:x`, account: ADA, savedAt: 1, text: null });
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
    expect(await loadSavedDraft(ADA, 'post')).toEqual({
      text: 'kept',
      picks: [],
      cwOn: false,
      cw: '',
      files: [],
      descriptions: [],
    });
    expect(await loadSavedDraft(ADA, 'reply:x')).toBeNull();
  });

  it('forget a draft that was sent', async () => {
    await saveDraft(ADA, 'post', words('sent'), []);
    await forgetSavedDraft(ADA, 'post');
    expect(await loadSavedDraft(ADA, 'post')).toBeNull();
  });

  it(`keep at most ${MAX_SAVED_DRAFTS} per account, letting the oldest go`, async () => {
    for (let i = 0; i <= MAX_SAVED_DRAFTS; i++) {
      await saveDraft(ADA, `reply:${i}`, words(`draft ${i}`), []);
      await new Promise((r) => setTimeout(r, 2));
    }
    await saveDraft(BEA, 'post', words('Bea’s own'), []);
    const kept = await savedDraftKeys(ADA);
    expect(kept).toHaveLength(MAX_SAVED_DRAFTS);
    expect(kept[0]).toBe(`reply:${MAX_SAVED_DRAFTS}`);
    expect(kept).not.toContain('reply:0');
    expect(await savedDraftKeys(BEA)).toEqual(['post']);
  });
});
