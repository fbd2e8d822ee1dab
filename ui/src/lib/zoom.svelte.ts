// The window's zoom, as in browsers: Ctrl + = (or +) one step larger,
// Ctrl + - one smaller, Ctrl + 0 back to 100 %, Ctrl + the wheel (or a
// touchpad's pinch, which WebKit reports so), and Settings' "Zoom". The
// Rust side zooms the web view and keeps the level in desktop.json, so the
// next start opens at it; the steps are its own (generated into bindings).
import { api } from './api';
import { ZOOM } from './bindings';
import { toasts } from './toasts.svelte';

/** The zoom levels offered, in percent. */
export const zoomSteps: readonly number[] = ZOOM.steps;
/** The zoom Ctrl + 0 returns to. */
export const defaultZoom: number = ZOOM.default;

/** The step after (`by` 1) or before (-1) `percent`, or null past the ends. */
export function nextZoom(percent: number, by: 1 | -1): number | null {
  const steps = by > 0 ? zoomSteps : [...zoomSteps].reverse();
  return steps.find((p) => (by > 0 ? p > percent : p < percent)) ?? null;
}

/**
 * Wheel travel (pixels) that makes one zoom step: less than one notch of a
 * mouse wheel (WebKitGTK reports 74 px, browsers 100-120).
 */
export const WHEEL_STEP = 50;

/** What a key press asks of the zoom: a level, or null when it is not a zoom key. */
export function zoomForKey(e: KeyboardEvent, percent: number): number | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  switch (e.key) {
    case '=':
    case '+':
      return nextZoom(percent, 1) ?? percent;
    case '-':
    case '_':
      return nextZoom(percent, -1) ?? percent;
    case '0':
      return defaultZoom;
    default:
      return null;
  }
}

class Zoom {
  /** The window's zoom now, in percent. */
  percent = $state<number>(ZOOM.default);
  /** The toast naming the level, replaced by the next one. */
  #toast: number | null = null;
  /** Ctrl + wheel travel not yet turned into a step (a pinch comes in small deltas). */
  #wheel = 0;

  #announce(message: string): void {
    if (this.#toast !== null) toasts.dismiss(this.#toast);
    this.#toast = toasts.show(message);
  }

  /** Zooms to `percent` and keeps it; says so in a toast when `announce`. */
  async set(percent: number, announce = false): Promise<void> {
    try {
      await api.setZoom(percent);
      this.percent = percent;
      if (announce) this.#announce(`Zoom ${percent} %`);
    } catch (e) {
      toasts.error(e);
    }
  }

  /** The window's wheel handler: Ctrl + the wheel zooms, up larger, down smaller. */
  onWheel(e: WheelEvent): void {
    if (!(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    const perLine = e.deltaMode === WheelEvent.DOM_DELTA_LINE ? 40 : e.deltaMode === WheelEvent.DOM_DELTA_PAGE ? 800 : 1;
    this.#wheel += e.deltaY * perLine;
    if (Math.abs(this.#wheel) < WHEEL_STEP) return;
    const to = nextZoom(this.percent, this.#wheel < 0 ? 1 : -1);
    this.#wheel = 0;
    if (to !== null) void this.set(to, true);
  }

  /** The window's key handler: zooms on Ctrl + = / - / 0, anywhere. */
  onKey(e: KeyboardEvent): void {
    const to = zoomForKey(e, this.percent);
    if (to === null) return;
    e.preventDefault();
    if (to === this.percent) {
      const end = to === zoomSteps[zoomSteps.length - 1] ? ', the largest' : to === zoomSteps[0] ? ', the smallest' : '';
      this.#announce(`Zoom ${to} %${end}`);
      return;
    }
    void this.set(to, true);
  }
}

export const zoom = new Zoom();
