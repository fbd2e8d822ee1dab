// Hooks for end-to-end tests and cold-start measurement.

/** Marks a start-up step on the page's timeline (read by the desktop benchmark). */
export function mark(name: string): void {
  try {
    performance.mark(name);
  } catch {
    /* no User Timing: nothing to measure */
  }
}

let screenMarked = false;

/** The first screen has rendered its data (and, once painted, is marked for cold-start measurement). */
export function markReady(): void {
  document.documentElement.dataset.ready = 'true';
  if (screenMarked) return;
  screenMarked = true;
  void afterPaint().then(() => mark('first-screen'));
}

let timelineMarked = false;

/** The first timeline page is on screen (called after paint). */
export function markFirstTimeline(): void {
  if (timelineMarked) return;
  timelineMarked = true;
  mark('first-timeline');
  markReady();
}

/** Resolves after the next frame has been painted. */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame !== 'function') {
      setTimeout(resolve, 0);
      return;
    }
    requestAnimationFrame(() => setTimeout(resolve, 0));
  });
}
