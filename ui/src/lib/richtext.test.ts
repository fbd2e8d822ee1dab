import { describe, expect, it } from 'vitest';
import { isPlain, MAX_LINK_LABEL, parts } from './richtext';

const ADA = `kith1${'q'.repeat(58)}`;

describe('parts', () => {
  it('finds a link inside a sentence, without the punctuation that ends the sentence', () => {
    expect(parts('Read https://example.org/a?b=c. Then sleep', [])).toEqual([
      { kind: 'text', text: 'Read ' },
      { kind: 'link', url: 'https://example.org/a?b=c', label: 'example.org/a?b=c' },
      { kind: 'text', text: '. Then sleep' },
    ]);
  });

  it('keeps balanced brackets in an address and drops the one that closes the aside', () => {
    expect(parts('(see https://en.wikipedia.org/wiki/Tea_(drink))', [])).toEqual([
      { kind: 'text', text: '(see ' },
      { kind: 'link', url: 'https://en.wikipedia.org/wiki/Tea_(drink)', label: 'en.wikipedia.org/wiki/Tea_(drink)' },
      { kind: 'text', text: ')' },
    ]);
  });

  it('shortens a long address to the label length and drops www and a bare trailing slash', () => {
    const long = `https://www.example.org/${'x'.repeat(80)}`;
    const [only] = parts(long, []);
    expect(only).toMatchObject({ kind: 'link', url: long });
    const shown = only?.kind === 'link' ? only.label : '';
    expect(Array.from(shown)).toHaveLength(MAX_LINK_LABEL);
    expect(shown.startsWith('example.org/xxx')).toBe(true);
    expect(shown.endsWith('…')).toBe(true);
    expect(parts('http://www.example.org/', [])).toEqual([
      { kind: 'link', url: 'http://www.example.org/', label: 'example.org' },
    ]);
  });

  it('leaves as text what only looks like a link: other schemes, credentials, no host, inside a word', () => {
    for (const text of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'https://bank.example@evil.example/login',
      'https:// nothing',
      'xhttps://example.org',
    ]) {
      expect(parts(text, []).filter((p) => p.kind === 'link')).toEqual([]);
    }
  });

  it('finds hashtags in any script, but not numbers, anchors, entities or ones inside a word', () => {
    expect(parts('#tea and #café, #чай! #1 a#b &#39; /#/x', [])).toEqual([
      { kind: 'tag', tag: 'tea' },
      { kind: 'text', text: ' and ' },
      { kind: 'tag', tag: 'café' },
      { kind: 'text', text: ', ' },
      { kind: 'tag', tag: 'чай' },
      { kind: 'text', text: '! #1 a#b &#39; /#/x' },
    ]);
    expect(parts(`#${'a'.repeat(65)}`, [])).toEqual([{ kind: 'text', text: `#${'a'.repeat(65)}` }]);
  });

  it('draws mentions by name beside links and tags', () => {
    expect(parts(`@${ADA} see https://example.org #tea`, [{ account: ADA, name: 'Ada' }])).toEqual([
      { kind: 'mention', account: ADA, name: 'Ada' },
      { kind: 'text', text: ' see ' },
      { kind: 'link', url: 'https://example.org', label: 'example.org' },
      { kind: 'text', text: ' ' },
      { kind: 'tag', tag: 'tea' },
    ]);
  });
});

describe('isPlain', () => {
  it('is true only for text with no mention, link or hashtag to draw', () => {
    expect(isPlain('just words', [])).toBe(true);
    expect(isPlain('see HTTPS://example.org', [])).toBe(false);
    expect(isPlain('#tea', [])).toBe(false);
    expect(isPlain('hi', [{ account: ADA, name: 'Ada' }])).toBe(false);
  });
});
