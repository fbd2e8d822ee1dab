// Recovery phrase: show, confirm, restore.

export const PHRASE_WORDS = 24;
export const MIN_PASSPHRASE = 8;

/** `count` distinct 1-based positions out of `total`, ascending. */
export function pickPositions(count: number, total: number, random: () => number = Math.random): number[] {
  const pool = Array.from({ length: total }, (_, i) => i + 1);
  // Partial Fisher–Yates: the first `count` slots end up a uniform sample.
  for (let i = 0; i < Math.min(count, total); i++) {
    const j = i + Math.floor(random() * (total - i));
    const a = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = a;
  }
  return pool.slice(0, count).sort((a, b) => a - b);
}

export function normalizeWord(w: string): string {
  return w.normalize('NFKD').trim().toLowerCase();
}

/** Positions (1-based) whose answer differs from the phrase, ascending. */
export function wrongPositions(phrase: readonly string[], answers: ReadonlyMap<number, string>): number[] {
  const wrong: number[] = [];
  for (const [pos, answer] of answers) {
    const expected = phrase[pos - 1];
    if (expected === undefined || normalizeWord(answer) !== normalizeWord(expected)) wrong.push(pos);
  }
  return wrong.sort((a, b) => a - b);
}

/** Words of a pasted phrase: any whitespace, numbering like "1." or "12)" dropped. */
export function phraseWords(text: string): string[] {
  return text
    .split(/\s+/)
    .map((w) => normalizeWord(w))
    .filter((w) => w !== '' && !/^\d+[.):]?$/.test(w));
}

/** What is wrong with a new passphrase pair, or null. */
export function passphraseProblem(pass: string, confirm: string): string | null {
  if ([...pass].length < MIN_PASSPHRASE) return `The passphrase needs at least ${MIN_PASSPHRASE} characters.`;
  if (pass !== confirm) return 'The two passphrases do not match.';
  return null;
}

/** What is wrong with a recovery phrase's words and a new passphrase pair, or null. */
export function restoreProblem(words: readonly string[], pass: string, confirm: string): string | null {
  if (words.length !== PHRASE_WORDS) return `A recovery phrase has ${PHRASE_WORDS} words; this has ${words.length}.`;
  return passphraseProblem(pass, confirm);
}
