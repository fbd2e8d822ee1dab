import { describe, expect, it } from 'vitest';
import { decodingRefusesBrokenFiles, file } from '../test/helpers';
import { checkImages, DecodedPick, decodes, fileToBase64, MAX_IMAGE_BYTES } from './images';

describe('checkImages', () => {
  it('accepts up to 4 images in all and says how many were left out', () => {
    const five = Array.from({ length: 5 }, (_, i) => file(`p${i}.png`, 1000));
    const r = checkImages(0, five);
    expect(r.accepted).toHaveLength(4);
    expect(r.errors).toEqual(['A post holds at most 4 images; one was left out.']);

    const more = checkImages(3, five.slice(0, 3));
    expect(more.accepted).toHaveLength(1);
    expect(more.errors[0]).toMatch(/2 were left out/);
  });

  it('refuses an image over 8 MiB and keeps the others', () => {
    const r = checkImages(0, [file('ok.png', MAX_IMAGE_BYTES), file('huge.png', MAX_IMAGE_BYTES + 1)]);
    expect(r.accepted.map((f) => f.name)).toEqual(['ok.png']);
    expect(r.errors).toEqual(['“huge.png” is larger than 8 MiB.']);
  });

  it('refuses files that are not images', () => {
    expect(checkImages(0, [file('notes.txt', 10, 'text/plain')]).errors[0]).toMatch(/not an image/);
  });
});

describe('fileToBase64', () => {
  it('encodes the bytes without a data: prefix', async () => {
    await expect(fileToBase64(new Blob(['hi!'], { type: 'image/png' }))).resolves.toBe('aGkh');
  });
});

describe('decodes', () => {
  it('is false for a file the web view cannot decode and true for one it can', async () => {
    const undo = decodingRefusesBrokenFiles();
    try {
      await expect(decodes(file('broken.png', 10))).resolves.toBe(false);
      await expect(decodes(file('fine.png', 10))).resolves.toBe(true);
    } finally {
      undo();
    }
  });

  it('takes a file as decodable where the page cannot decode images', async () => {
    await expect(decodes(file('broken.png', 10))).resolves.toBe(true);
  });
});

describe('DecodedPick', () => {
  it('applies only the latest pick, waits for it, and ignores one answering after cancel', async () => {
    const undo = decodingRefusesBrokenFiles();
    try {
      const pick = new DecodedPick();
      const applied: string[] = [];
      void pick.pick(file('first.png', 10), (ok) => applied.push(`first ${ok}`));
      void pick.pick(file('broken.png', 10), (ok) => applied.push(`broken ${ok}`));
      await pick.settled();
      expect(applied).toEqual(['broken false']);

      void pick.pick(file('late.png', 10), (ok) => applied.push(`late ${ok}`));
      pick.cancel();
      await pick.settled();
      expect(applied).toEqual(['broken false']);
    } finally {
      undo();
    }
  });
});
