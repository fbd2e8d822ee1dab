// Builds the reply tree of a thread page from `reply_to` links.
import type { PostView } from './bindings';

export type ThreadNode = { post: PostView; children: ThreadNode[] };
export type ThreadRow = { post: PostView; depth: number };

const byTime = (a: ThreadNode, b: ThreadNode): number =>
  a.post.created_at - b.post.created_at || (a.post.id < b.post.id ? -1 : a.post.id > b.post.id ? 1 : 0);

/**
 * Roots are posts whose parent is absent from the page (or that reply to
 * nothing); each post hangs under its parent; siblings run oldest first.
 * A post listed twice counts once; a cycle (impossible for signed posts, but
 * data is data) is broken by making its earliest member a root.
 */
export function buildThread(posts: readonly PostView[]): ThreadNode[] {
  const nodes = new Map<string, ThreadNode>();
  for (const post of posts) if (!nodes.has(post.id)) nodes.set(post.id, { post, children: [] });

  const parentOf = (n: ThreadNode): ThreadNode | undefined => {
    const p = n.post.reply_to;
    return p !== null && p !== n.post.id ? nodes.get(p) : undefined;
  };

  // A node is in a cycle if walking up from it returns to it.
  const inCycle = (n: ThreadNode): boolean => {
    const seen = new Set<ThreadNode>();
    for (let cur = parentOf(n); cur; cur = parentOf(cur)) {
      if (cur === n) return true;
      if (seen.has(cur)) return false;
      seen.add(cur);
    }
    return false;
  };
  const cycleRoots = new Set<ThreadNode>();
  for (const n of nodes.values()) {
    if (cycleRoots.has(n) || !inCycle(n)) continue;
    const members: ThreadNode[] = [n];
    for (let cur = parentOf(n); cur && cur !== n; cur = parentOf(cur)) members.push(cur);
    members.sort(byTime);
    const first = members[0];
    if (first && !members.some((m) => cycleRoots.has(m))) cycleRoots.add(first);
  }

  const roots: ThreadNode[] = [];
  for (const n of nodes.values()) {
    const parent = cycleRoots.has(n) ? undefined : parentOf(n);
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  const sortDeep = (list: ThreadNode[]): void => {
    list.sort(byTime);
    for (const n of list) sortDeep(n.children);
  };
  sortDeep(roots);
  return roots;
}

/** Depth-first rows for rendering, depth 0 for roots. */
export function flattenThread(roots: readonly ThreadNode[]): ThreadRow[] {
  const rows: ThreadRow[] = [];
  const walk = (n: ThreadNode, depth: number): void => {
    rows.push({ post: n.post, depth });
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return rows;
}

/** Rows of a thread page, ready to indent. */
export function threadRows(posts: readonly PostView[]): ThreadRow[] {
  return flattenThread(buildThread(posts));
}
