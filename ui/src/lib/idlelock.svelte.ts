// Locks the window after a while without a key, a click, a scroll or a
// pointer move in it (Settings: "Lock Kith after"). Time asleep counts:
// a computer that wakes after the wait finds Kith locked.

/** How often the wait is checked, ms. */
export const CHECK_MS = 15_000;

/** What counts as someone at the window. */
const PRESENCE = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;

export class IdleLock {
  /** Minutes without presence before locking; 0 never. */
  minutes = $state(0);
  #last = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  #onIdle: (() => void) | null = null;
  readonly #seen = (): void => {
    this.#last = Date.now();
  };

  /** Watches the window; `onIdle` runs once when the wait has passed. */
  start(onIdle: () => void): void {
    this.stop();
    this.#onIdle = onIdle;
    this.#last = Date.now();
    for (const e of PRESENCE) window.addEventListener(e, this.#seen, { capture: true, passive: true });
    this.#timer = setInterval(() => this.check(), CHECK_MS);
  }

  stop(): void {
    for (const e of PRESENCE) window.removeEventListener(e, this.#seen, { capture: true });
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#onIdle = null;
  }

  /** Locks if the wait has passed at `now`. */
  check(now = Date.now()): void {
    if (this.minutes <= 0 || this.#onIdle === null) return;
    if (now - this.#last >= this.minutes * 60_000) {
      const onIdle = this.#onIdle;
      this.stop();
      onIdle();
    }
  }
}

export const idleLock = new IdleLock();
