// Images (blobs) that arrived from peers after the posts or profiles showing
// them. A picture shown as missing loads again when its hash arrives.
import { on, type Unlisten } from './api';

class ArrivedBlobs {
  /** How many times each hash arrived this session. */
  #count = $state<Record<string, number>>({});
  #unlisten: Unlisten | null = null;

  /** Subscribes once; later calls do nothing. */
  start(): void {
    if (this.#unlisten) return;
    this.#unlisten = on.blobArrived((b) => {
      this.#count[b.hash] = (this.#count[b.hash] ?? 0) + 1;
    });
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
  }

  /** How many times `hash` arrived (0 if it has not). */
  times(hash: string): number {
    return this.#count[hash] ?? 0;
  }
}

export const arrivedBlobs = new ArrivedBlobs();

/**
 * The URL of a blob, changed each time it arrives again, so that the web
 * view does not reuse an earlier "not here yet" answer.
 */
export function freshBlobUrl(url: string, arrivals: number): string {
  return arrivals > 0 ? `${url}?arrived=${arrivals}` : url;
}
