// Posts that arrived since the home timeline was last loaded (for the "N new
// posts" pill): only the new posts the timeline will show (the event's
// `newInHome`: of followed feeds and this account's own, neither edits nor
// deletions). Own posts arrive so when written elsewhere (a `kith` command
// on this node) or brought back by peers (an account restored from its
// phrase: they are offered as new too); those written in the window are
// shown at once and sent as no event. The timeline subtracts the ids it
// already shows.
import { on, type Unlisten } from './api';

class Live {
  /** Distinct post ids that arrived since the last reset, oldest first. */
  ids = $state<string[]>([]);
  #unlisten: Unlisten | null = null;

  /** Subscribes once; later calls do nothing. */
  start(): void {
    if (this.#unlisten) return;
    this.#unlisten = on.postsArrived((p) => {
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
