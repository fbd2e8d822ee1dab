// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { charCount, displayName, formatBytes, formatLatency, initials, shortId, shortPeerId } from './format';

describe('format', () => {
  it('shortens long ids but keeps short ones', () => {
    expect(shortId('kith1qxyzabcdefghijklmnopa8f3')).toBe('kith1qxyz…a8f3');
    expect(shortId('kith1abc')).toBe('kith1abc');
    expect(shortPeerId('12D3KooWQm3BpDy7rq7V1S5VPbn8FzeQKC8ZdaTspmh1YgKgo1Qp')).toBe('…h1YgKgo1Qp');
  });

  it('falls back to the short id when there is no name', () => {
    expect(displayName('  ', 'kith1qxyzabcdefghijklmnopa8f3')).toBe('kith1qxyz…a8f3');
    expect(displayName('Ada', 'kith1x')).toBe('Ada');
  });

  it('makes initials from one or two words', () => {
    expect(initials('ada lovelace')).toBe('AL');
    expect(initials('Émile')).toBe('É');
    expect(initials(null)).toBe('?');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(charCount('👍🏽a')).toBe(3);
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(8 * 1024 * 1024)).toBe('8.0 MiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });
});

describe('formatLatency', () => {
  it('rounds a ping to one decimal under 10 ms and to whole ms above', () => {
    expect(formatLatency(6.432472)).toBe('6.4 ms');
    expect(formatLatency(48.7)).toBe('49 ms');
    expect(formatLatency(null)).toBe('—');
  });
});
