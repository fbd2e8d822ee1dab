// Posts that arrived from peers since the home timeline was last loaded (for
// the "N new posts" pill): only the new posts the timeline will show (the
// event's `newInHome`: of followed feeds, neither edits nor deletions). The
// timeline subtracts the ids it already shows.
import { on, type Unlisten } from './api';
import { session } from './session.svelte';

class Live {
  /** Distinct post ids from others since the last reset, oldest first. */
  ids = $state<string[]>([]);
  #unlisten: Unlisten | null = null;

  /** Subscribes once; later calls do nothing. */
  start(): void {
    if (this.#unlisten) return;
    this.#unlisten = on.postsArrived((p) => {
      if (session.isOwn(p.account)) return;
      const fresh = p.newInHome.filter((id) => !this.ids.includes(id));
      if (fresh.length > 0) this.ids = [...this.ids, ...fresh];
    });
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  reset(): void {
    this.ids = [];
  }
}

export const live = new Live();
