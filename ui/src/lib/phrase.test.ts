// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { passphraseProblem, phraseWords, pickPositions, wrongPositions } from './phrase';

const PHRASE = Array.from({ length: 24 }, (_, i) => `word${i + 1}`);

describe('pickPositions', () => {
  it('picks distinct 1-based positions within the phrase, ascending', () => {
    for (let run = 0; run < 200; run++) {
      const p = pickPositions(3, 24);
      expect(p).toHaveLength(3);
      expect(new Set(p).size).toBe(3);
      expect(p.every((x) => x >= 1 && x <= 24)).toBe(true);
      expect([...p].sort((a, b) => a - b)).toEqual(p);
    }
  });

  it('covers the whole range, first and last word included', () => {
    expect(pickPositions(3, 24, () => 0)).toEqual([1, 2, 3]);
    expect(pickPositions(3, 24, () => 0.999999)).toContain(24);
  });
});

describe('wrongPositions', () => {
  it('accepts the right words, ignoring case and surrounding spaces', () => {
    const answers = new Map([
      [2, ' WORD2 '],
      [13, 'word13'],
      [24, 'Word24'],
    ]);
    expect(wrongPositions(PHRASE, answers)).toEqual([]);
  });

  it('names each position whose word is wrong or missing', () => {
    const answers = new Map([
      [2, 'word2'],
      [13, 'word14'],
      [24, ''],
    ]);
    expect(wrongPositions(PHRASE, answers)).toEqual([13, 24]);
  });
});

describe('phraseWords', () => {
  it('splits a pasted phrase on any whitespace and drops numbering', () => {
    expect(phraseWords('1. Orbit  2. velvet\n3) harbor\t lemon ')).toEqual(['orbit', 'velvet', 'harbor', 'lemon']);
  });
});

describe('passphraseProblem', () => {
  it('requires 8 characters and two matching entries', () => {
    expect(passphraseProblem('short', 'short')).toMatch(/at least 8/);
    expect(passphraseProblem('long enough', 'long enougH')).toMatch(/do not match/);
    expect(passphraseProblem('long enough', 'long enough')).toBeNull();
  });
});
