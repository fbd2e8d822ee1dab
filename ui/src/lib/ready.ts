// Hooks for end-to-end tests and cold-start measurement.

/** The first screen has rendered its data. */
export function markReady(): void {
  document.documentElement.dataset.ready = 'true';
}

let timelineMarked = false;

/** The first timeline page is on screen (called after paint). */
export function markFirstTimeline(): void {
  if (timelineMarked) return;
  timelineMarked = true;
  try {
    performance.mark('first-timeline');
  } catch {
    /* no User Timing: nothing to measure */
  }
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
