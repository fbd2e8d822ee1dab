// Images chosen in a file input: limits and encoding for `ImageData`.
import type { ImageData } from './bindings';

export const MAX_IMAGES = 4;
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;

type FileLike = { name: string; size: number; type: string };

export type ImageCheck<F> = { accepted: F[]; errors: string[] };

/**
 * Which of `files` can join `already` chosen images: images only, each at
 * most 8 MiB, at most 4 in all. Refused files are named in `errors`.
 */
export function checkImages<F extends FileLike>(already: number, files: readonly F[]): ImageCheck<F> {
  const accepted: F[] = [];
  const errors: string[] = [];
  let tooMany = 0;
  for (const f of files) {
    if (f.type !== '' && !f.type.startsWith('image/')) {
      errors.push(`“${f.name}” is not an image.`);
    } else if (f.size > MAX_IMAGE_BYTES) {
      errors.push(`“${f.name}” is larger than 8 MiB.`);
    } else if (already + accepted.length >= MAX_IMAGES) {
      tooMany++;
    } else {
      accepted.push(f);
    }
  }
  if (tooMany > 0) {
    errors.push(`A post holds at most ${MAX_IMAGES} images; ${tooMany === 1 ? 'one was' : `${tooMany} were`} left out.`);
  }
  return { accepted, errors };
}

/** Why a file that does not decode is refused. */
export function undecodableError(name: string): string {
  return `“${name}” cannot be shown: the file is damaged or in an image format this computer cannot read.`;
}

/**
 * Whether the web view decodes `file` as an image (what peers' windows will
 * have to do). Where it cannot tell (no `HTMLImageElement.decode`, as under
 * jsdom) the file is taken as decodable.
 */
export async function decodes(file: Blob): Promise<boolean> {
  if (typeof Image === 'undefined' || typeof Image.prototype.decode !== 'function') return true;
  const url = previewUrl(file);
  if (url === '') return true;
  const img = new Image();
  img.src = url;
  try {
    await img.decode();
    return true;
  } catch {
    return false;
  } finally {
    revokePreview(url);
  }
}

/**
 * The latest of a series of picked files (an avatar), each decoded before
 * it counts: the answer for an earlier pick, or one that comes after
 * `cancel`, is ignored, and `settled` waits until the latest answer was
 * applied, so that a form sent meanwhile uses what it decided.
 */
export class DecodedPick {
  #latest = 0;
  #pending: Promise<void> = Promise.resolve();

  /** Decodes `file`, then calls `then(decodable)` unless another pick or `cancel` came since. */
  pick(file: Blob, then: (decodable: boolean) => void): Promise<void> {
    const mine = ++this.#latest;
    const run = decodes(file).then((decodable) => {
      if (mine === this.#latest) then(decodable);
    });
    this.#pending = run;
    return run;
  }

  /**
   * Checks a picked file as a picture: its type and size at once, then
   * whether it decodes (as `pick`). Calls `then` with why it is refused, or
   * null when it can be used, unless another pick or `cancel` came since.
   */
  choose(file: File, then: (refused: string | null) => void): Promise<void> {
    const { accepted, errors } = checkImages(0, [file]);
    if (accepted.length === 0) {
      this.cancel();
      then(errors[0] ?? 'That file can’t be used as a picture.');
      return this.#pending;
    }
    return this.pick(file, (decodable) => then(decodable ? null : undecodableError(file.name)));
  }

  /** Forgets the checks under way: their answers are ignored. */
  cancel(): void {
    this.#latest++;
  }

  /** Resolves once the latest pick's answer was applied (or ignored). */
  settled(): Promise<void> {
    return this.#pending;
  }
}

/** Base64 of a file's bytes (no `data:` prefix). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file.'));
    reader.onload = () => {
      const url = String(reader.result);
      const comma = url.indexOf(',');
      resolve(comma === -1 ? '' : url.slice(comma + 1));
    };
    reader.readAsDataURL(file);
  });
}

export async function toImageData(file: File): Promise<ImageData> {
  return { name: file.name, base64: await fileToBase64(file) };
}

/** Object URLs for previews, revocable; a no-op where the DOM lacks them. */
export function previewUrl(file: Blob): string {
  return typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : '';
}

export function revokePreview(url: string): void {
  if (url !== '' && typeof URL.revokeObjectURL === 'function') URL.revokeObjectURL(url);
}
