// A shared "now" that ticks every 30 s, so relative times stay current.

class Clock {
  value = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | null = null;

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => (this.value = Date.now()), 30_000);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

export const now = new Clock();
