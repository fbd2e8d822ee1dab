// @vitest-environment node
import { describe, expect, it } from 'vitest';
import {
  choicesOf,
  DEFAULT_CHOICES,
  isListId,
  labelText,
  listName,
  reportStatusText,
  sameChoices,
  sortLabels,
  splitChoices,
  targetKind,
} from './labels';

describe('label choices', () => {
  it('reads hide, warn and ignore per label from a subscription, hide winning', () => {
    const c = choicesOf({ hide: ['spam', 'violence'], warn: ['misleading', 'spam'] });
    expect(c).toEqual({
      spam: 'hide',
      harassment: 'ignore',
      violence: 'hide',
      sexual: 'ignore',
      misleading: 'warn',
      other: 'ignore',
    });
  });

  it('splits choices into the hide and warn arguments, in label order', () => {
    const c = { ...DEFAULT_CHOICES, other: 'hide' as const, spam: 'hide' as const, sexual: 'ignore' as const };
    expect(splitChoices(c)).toEqual({
      hide: ['spam', 'other'],
      warn: ['harassment', 'violence', 'misleading'],
    });
    expect(choicesOf(splitChoices(c))).toEqual(c);
  });

  it('compares choices label by label', () => {
    expect(sameChoices(DEFAULT_CHOICES, { ...DEFAULT_CHOICES })).toBe(true);
    expect(sameChoices(DEFAULT_CHOICES, { ...DEFAULT_CHOICES, violence: 'hide' })).toBe(false);
  });
});

describe('labels', () => {
  it('names labels for people and keeps unknown ones as they are', () => {
    expect(labelText(['spam', 'sexual', 'weird'])).toBe('Spam, Sexual content, weird');
  });

  it('sorts labels in the canonical order without duplicates or unknown names', () => {
    expect(sortLabels(['other', 'spam', 'nope', 'spam'])).toEqual(['spam', 'other']);
  });
});

describe('ids', () => {
  const account = 'kith1qpzry9x8gf2tvdw0s3jn54khce6mua7lqpzry9x8gf2tvdw0s3jn';
  it('tells accounts from posts and refuses the rest', () => {
    expect(targetKind(account)).toBe('account');
    expect(targetKind(` ${account.toUpperCase()} `)).toBe('account');
    expect(targetKind('kithpost1qpzry9x8gf2tvdw0s3jn54khce6mua7l')).toBe('post');
    expect(targetKind('kithlist1qpzry9x8gf2tvdw0s3jn54khce6mua7l')).toBeNull();
    expect(targetKind('kith1 has spaces')).toBeNull();
    expect(targetKind('kith1biobiobio')).toBeNull(); // b, i and o are not bech32
    expect(targetKind('')).toBeNull();
  });

  it('recognises list ids', () => {
    expect(isListId('kithlist1qpzry9x8gf2tvdw0s3jn54khce6mua7l')).toBe(true);
    expect(isListId(account)).toBe(false);
    expect(isListId('kithlist1')).toBe(false);
  });
});

describe('texts', () => {
  it('says what a report status means', () => {
    expect(reportStatusText('queued')).toMatch(/^Queued/);
    expect(reportStatusText('accepted')).toBe('Accepted: added to the list');
    expect(reportStatusText('strange')).toBe('strange');
  });

  it('names a list still on its way', () => {
    expect(listName({ name: null })).toBe('Waiting for the list to arrive');
    expect(listName({ name: 'Spam watch' })).toBe('Spam watch');
  });
});
