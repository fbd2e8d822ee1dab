// Loaded pages of a list kept across navigation, so "back" lands where you were.
import type { PostView } from './bindings';
import type { BlockLayout } from './blocks';
import type { BlockWindow } from './blockwindow.svelte';

export type ListSnapshot = {
  posts: PostView[];
  next: string | null;
  done: boolean;
  scrollY: number;
  /** The first post in view and its distance from the viewport top, to land on it again. */
  anchor: { id: string; top: number } | null;
  /** The posts' blocks, and which of them were out of the page. */
  layout: BlockLayout<PostView>;
  window: BlockWindow;
  /** When it was kept (`changeMark`): own changes made later are applied as it comes back. */
  mark: number;
};

const snapshots = new Map<string, ListSnapshot>();

export function getSnapshot(key: string): ListSnapshot | undefined {
  return snapshots.get(key);
}

export function putSnapshot(key: string, s: ListSnapshot): void {
  snapshots.set(key, s);
  // A handful of lists is plenty; drop the oldest.
  if (snapshots.size > 8) {
    const first = snapshots.keys().next().value;
    if (first !== undefined) snapshots.delete(first);
  }
}

export function dropSnapshot(key: string): void {
  snapshots.delete(key);
}

export function clearSnapshots(): void {
  snapshots.clear();
}
