// What this home blocks, mutes and subscribes to, kept for the screens that
// need it in passing (a post's menu, the report dialog, the sidebar's count
// of open reports), and what every change must invalidate.
import { api } from './api';
import type { ListView, ModerationOverview } from './bindings';
import { clearSnapshots } from './listcache';
import { clearPostCache } from './quotes';

class Moderation {
  /** The last overview loaded; null until the first load. */
  overview = $state<ModerationOverview | null>(null);
  #pending: Promise<ModerationOverview> | null = null;

  /** Open reports to the own lists (0 until loaded). */
  get openReports(): number {
    return this.overview?.open_reports ?? 0;
  }

  /** Lists this home maintains (empty until loaded). */
  get ownLists(): ListView[] {
    return this.overview?.own_lists ?? [];
  }

  /** Subscribed lists a report can go to: the own ones take entries directly instead. */
  get reportDestinations(): ListView[] {
    const own = new Set(this.ownLists.map((l) => l.id));
    return (this.overview?.subscriptions ?? []).filter((l) => !own.has(l.id));
  }

  /** Loads the overview again; concurrent calls share one request. */
  refresh(): Promise<ModerationOverview> {
    if (!this.#pending) {
      this.#pending = api.moderation().then(
        (o) => {
          this.overview = o;
          this.#pending = null;
          return o;
        },
        (e: unknown) => {
          this.#pending = null;
          throw e;
        },
      );
    }
    return this.#pending;
  }

  /** The overview, loading it once if needed. */
  ensure(): Promise<ModerationOverview> {
    return this.overview ? Promise.resolve(this.overview) : this.refresh();
  }

  /** Refreshes without reporting failures (for badges and menus). */
  quietRefresh(): void {
    this.refresh().catch(() => {
      /* locked or not ready: keep what is shown */
    });
  }

  /**
   * After a block, mute, muted word or subscription change: kept timeline
   * pages and fetched quoted posts are judged anew on the next visit.
   */
  changed(): void {
    this.afterChange().catch(() => {
      /* the next visit loads it */
    });
  }

  /** The same, waiting for the fresh overview (screens that show it). */
  async afterChange(): Promise<ModerationOverview> {
    clearSnapshots();
    clearPostCache();
    // A load that started before the change may answer with the old state.
    await this.#pending?.catch(() => {});
    return this.refresh();
  }

  reset(): void {
    this.overview = null;
    this.#pending = null;
  }
}

export const moderation = new Moderation();
