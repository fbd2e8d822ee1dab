// The count of new activity (replies, mentions, quotes, reposts, reactions
// by others) for the sidebar: loaded at start, again when a feed changes
// (at most once per REFRESH_MS), and cleared when the Activity screen marks
// what it showed as seen.
import { api, on, type Unlisten } from './api';
import { session } from './session.svelte';

/** Least time between two loads of the count while feeds keep changing. */
export const REFRESH_MS = 1000;

class ActivityCount {
  /** Items newer than the newest seen, up to `cap`. */
  unread = $state(0);
  /** The node counts up to this many (shown as "99+"). */
  readonly cap = 100;
  #unlisten: Unlisten[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;

  /** Subscribes once and loads the count; later calls do nothing. */
  start(): void {
    if (this.#unlisten.length > 0) return;
    const later = (account: string): void => {
      if (!session.isOwn(account)) this.refreshSoon();
    };
    this.#unlisten = [on.feedChanged((f) => later(f.account)), on.postsArrived((p) => later(p.account))];
    void this.refresh();
  }

  stop(): void {
    for (const u of this.#unlisten) u();
    this.#unlisten = [];
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Loads the count; a failure (locked, stopping) keeps what is shown. */
  async refresh(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const n = await api.activityUnread();
      // An older answer must not overwrite a newer one (or a mark as seen).
      if (seq === this.#seq) this.unread = n;
    } catch {
      /* keep the count shown */
    }
  }

  /** Loads the count once the current burst of changes has settled a little. */
  refreshSoon(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.refresh();
    }, REFRESH_MS);
  }

  /** The person saw everything up to the item at `at`. */
  async markSeen(at: number): Promise<void> {
    this.#seq++;
    await api.markActivitySeen(at);
    await this.refresh();
  }
}

export const activity = new ActivityCount();
