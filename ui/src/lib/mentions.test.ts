import { describe, expect, it } from 'vitest';
import {
  addPick,
  mentionQuery,
  mentionsOf,
  plainText,
  segments,
  toEditable,
  toStored,
  MAX_QUERY_CHARS,
} from './mentions';

// Real account ids (bech32m of 32 bytes): the shape the store sends.
const ADA = 'kith1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqsq4dqg4';
const BEA = 'kith1qgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqdr28aa';

describe('segments', () => {
  it('shows confirmed mentions by name and leaves the rest as written', () => {
    const text = `hi @${ADA}, @${BEA} and @kith1nope`;
    expect(segments(text, [{ account: ADA, name: 'Ada' }])).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', account: ADA, name: 'Ada' },
      { kind: 'text', text: `, @${BEA} and @kith1nope` },
    ]);
  });

  it('names an unnamed account by its short id, and a text with no mentions is one run', () => {
    const [, m] = segments(`to @${ADA}`, [{ account: ADA, name: null }]);
    expect(m).toEqual({ kind: 'mention', account: ADA, name: 'kith1qyqs…dqg4' });
    expect(segments('plain', [])).toEqual([{ kind: 'text', text: 'plain' }]);
  });

  it('does not take an id that runs on into more letters for a mention', () => {
    expect(segments(`@${ADA}x`, [{ account: ADA, name: 'Ada' }])).toEqual([{ kind: 'text', text: `@${ADA}x` }]);
  });

  it('plainText writes names for places that show text only', () => {
    expect(plainText(`@${ADA} hello`, [{ account: ADA, name: 'Ada' }])).toBe('@Ada hello');
  });
});

describe('composer picks', () => {
  it('toStored writes ids for picked names, whole words only, longest name first', () => {
    let picks = addPick([], { name: 'Ada', account: BEA });
    picks = addPick(picks, { name: 'Ada Lovelace', account: ADA });
    expect(toStored('@Ada Lovelace and @Ada, not @Adam', picks)).toBe(`@${ADA} and @${BEA}, not @Adam`);
    expect(toStored('no picks @Ada', [])).toBe('no picks @Ada');
  });

  it('a later pick of the same name replaces the earlier one', () => {
    const picks = addPick(addPick([], { name: 'Sam', account: ADA }), { name: 'Sam', account: BEA });
    expect(picks).toEqual([{ name: 'Sam', account: BEA }]);
  });

  it('names with regular-expression characters are taken literally', () => {
    const picks = [{ name: 'a.b (c)', account: ADA }];
    expect(toStored('@a.b (c) @aXb (c)', picks)).toBe(`@${ADA} @aXb (c)`);
  });

  it('toEditable and toStored give back the stored text', () => {
    const stored = `hi @${ADA} and @${BEA}!`;
    const mentions = [
      { account: ADA, name: 'Ada' },
      { account: BEA, name: null },
    ];
    const editable = toEditable(stored, mentions);
    expect(editable.text).toBe(`hi @Ada and @${BEA}!`);
    expect(toStored(editable.text, editable.picks)).toBe(stored);
    expect(mentionsOf(stored, editable.picks, mentions)).toEqual(mentions);
  });
});

describe('mentionQuery', () => {
  it('finds the name being typed after an @ at the start or after a space', () => {
    expect(mentionQuery('@Ad', 3)).toEqual({ start: 0, query: 'Ad' });
    expect(mentionQuery('hi @', 4)).toEqual({ start: 3, query: '' });
    expect(mentionQuery('hi @Bea and more', 7)).toEqual({ start: 3, query: 'Bea' });
  });

  it('is not a mention inside a word, after a space, or when too long', () => {
    expect(mentionQuery('mail@ada', 8)).toBeNull();
    expect(mentionQuery('@Ada ', 5)).toBeNull();
    expect(mentionQuery(`@${'x'.repeat(MAX_QUERY_CHARS + 1)}`, MAX_QUERY_CHARS + 2)).toBeNull();
    expect(mentionQuery('no at sign', 5)).toBeNull();
  });
});
