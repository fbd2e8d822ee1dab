// Unsent drafts kept on this computer across restarts: what each composer
// holds (text, mentions, warning, images and their descriptions), saved as
// it changes, in the window's own storage (IndexedDB), apart per account.
// Nothing here reaches the node or any peer. The words and the images are
// kept apart so that typing does not write the images again; images are
// kept as their bytes, name and type (plain data, which every IndexedDB
// clones alike).
import type { Pick } from './mentions';

/** A composer's content as saved. */
export type SavedDraft = {
  text: string;
  picks: Pick[];
  cwOn: boolean;
  cw: string;
  /** The images' files, in order. */
  files: File[];
  /** Their descriptions, in order (empty: none). */
  descriptions: string[];
};

/** Most drafts kept per account; saving one more lets the oldest go. */
export const MAX_SAVED_DRAFTS = 10;

const DB_NAME = 'kith-drafts';
const WORDS = 'words';
const IMAGES = 'images';

type WordsRow = Omit<SavedDraft, 'files'> & { id: string; account: string; savedAt: number };
type StoredImage = { name: string; type: string; bytes: ArrayBuffer };
type ImagesRow = { id: string; images: StoredImage[] };

let opening: Promise<IDBDatabase | null> | null = null;

/** Writes run one after another, in the order asked: a slow one (reading images) never lands after a later one. */
let writes: Promise<unknown> = Promise.resolve();

function inOrder(write: () => Promise<void>): Promise<void> {
  const next = writes.then(write, write);
  writes = next.catch(() => undefined);
  return next;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** The database, or null where the window has no IndexedDB (drafts then last while the window is open). */
function database(): Promise<IDBDatabase | null> {
  if (opening) return opening;
  if (typeof indexedDB === 'undefined') return Promise.resolve(null);
  const r = indexedDB.open(DB_NAME, 1);
  r.onupgradeneeded = () => {
    const words = r.result.createObjectStore(WORDS, { keyPath: 'id' });
    words.createIndex('account', 'account');
    r.result.createObjectStore(IMAGES, { keyPath: 'id' });
  };
  opening = request(r).catch((e: unknown) => {
    console.warn('Drafts will not be kept across restarts:', e);
    return null;
  });
  return opening;
}

function rowId(account: string, key: string): string {
  return `${account} ${key}`;
}

/** The draft saved for `key` (see `draftKey`) of `account`, if any. */
export async function loadSavedDraft(account: string, key: string): Promise<SavedDraft | null> {
  const db = await database();
  if (!db) return null;
  const tx = db.transaction([WORDS, IMAGES], 'readonly');
  const id = rowId(account, key);
  const [words, images] = await Promise.all([
    request(tx.objectStore(WORDS).get(id) as IDBRequest<WordsRow | undefined>),
    request(tx.objectStore(IMAGES).get(id) as IDBRequest<ImagesRow | undefined>),
  ]);
  if (!words || typeof words.text !== 'string') return null;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const picks = Array.isArray(words.picks)
    ? words.picks.filter((p): p is Pick => typeof p?.name === 'string' && typeof p?.account === 'string')
    : [];
  const files = (Array.isArray(images?.images) ? images.images : [])
    .filter((i) => Object.prototype.toString.call(i?.bytes) === '[object ArrayBuffer]')
    .map((i) => new File([i.bytes], String(i.name), { type: String(i.type) }));
  const descriptions = strings(words.descriptions);
  return {
    text: words.text,
    picks,
    cwOn: words.cwOn === true,
    cw: typeof words.cw === 'string' ? words.cw : '',
    files,
    descriptions: files.map((_, i) => descriptions[i] ?? ''),
  };
}

/**
 * Saves what a composer holds under `key`; `files` null keeps the images
 * saved before. The oldest drafts beyond {@link MAX_SAVED_DRAFTS} go.
 */
export function saveDraft(
  account: string,
  key: string,
  draft: Omit<SavedDraft, 'files'>,
  files: File[] | null,
): Promise<void> {
  // Copied now: the caller's arrays may change before the write runs.
  const words = { ...draft, picks: draft.picks.map((p) => ({ name: p.name, account: p.account })) };
  const chosen = files === null ? null : [...files];
  return inOrder(() => write(account, key, words, chosen));
}

async function write(account: string, key: string, draft: Omit<SavedDraft, 'files'>, files: File[] | null): Promise<void> {
  const db = await database();
  if (!db) return;
  // Read before the transaction: it would end while a file is read.
  const stored =
    files === null
      ? null
      : await Promise.all(files.map(async (f) => ({ name: f.name, type: f.type, bytes: await f.arrayBuffer() })));
  const tx = db.transaction([WORDS, IMAGES], 'readwrite');
  const id = rowId(account, key);
  const row: WordsRow = {
    id,
    account,
    savedAt: Date.now(),
    text: draft.text,
    picks: draft.picks,
    cwOn: draft.cwOn,
    cw: draft.cw,
    descriptions: [...draft.descriptions],
  };
  tx.objectStore(WORDS).put(row);
  if (stored !== null) tx.objectStore(IMAGES).put({ id, images: stored } satisfies ImagesRow);
  // In the request's own callback: a transaction ends once a task leaves it nothing to do.
  const mine = tx.objectStore(WORDS).index('account').getAll(account);
  mine.onsuccess = () => {
    const all = (mine.result as WordsRow[]).sort((a, b) => b.savedAt - a.savedAt);
    for (const old of all.slice(MAX_SAVED_DRAFTS)) {
      tx.objectStore(WORDS).delete(old.id);
      tx.objectStore(IMAGES).delete(old.id);
    }
  };
  await done(tx);
}

/** Forgets the draft saved under `key` (it was sent, or emptied). */
export function forgetSavedDraft(account: string, key: string): Promise<void> {
  return inOrder(async () => {
    const db = await database();
    if (!db) return;
    const tx = db.transaction([WORDS, IMAGES], 'readwrite');
    const id = rowId(account, key);
    tx.objectStore(WORDS).delete(id);
    tx.objectStore(IMAGES).delete(id);
    await done(tx);
  });
}

/** Keys of the drafts saved for `account`, newest first (for tests). */
export async function savedDraftKeys(account: string): Promise<string[]> {
  const db = await database();
  if (!db) return [];
  const tx = db.transaction(WORDS, 'readonly');
  const all = (await request(tx.objectStore(WORDS).index('account').getAll(account))) as WordsRow[];
  return all.sort((a, b) => b.savedAt - a.savedAt).map((r) => r.id.slice(account.length + 1));
}

/** Forgets the open database, so that the next use opens `indexedDB` afresh (tests swap it). */
export function reopenSavedDrafts(): void {
  void opening?.then((db) => db?.close());
  opening = null;
}
