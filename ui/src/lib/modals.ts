// Modal dialogs open now, each by the element it was opened from. A dialog
// shows at the end of <body> (Modal.svelte), away from the card that opened
// it; a long list asks here whether a block of cards has one open before it
// takes the block out of the page (and the dialog with it).

/** Each open dialog's origin; a dialog is the key (two may share an origin). */
const origins = new Map<object, Element>();

/** Records a dialog opened from `origin`; returns how to record it closed. */
export function modalOpened(origin: Element): () => void {
  const key = {};
  origins.set(key, origin);
  return () => origins.delete(key);
}

/** Whether a dialog opened from within `el` (or from `el` itself) is open. */
export function hasModalFrom(el: Element): boolean {
  for (const origin of origins.values()) if (el.contains(origin)) return true;
  return false;
}

/**
 * Whether a wheel turned over `target` scrolls something between it and
 * `stop` (both included) by (`dx`, `dy`): a box that can scroll, and is not
 * at its end in that direction yet.
 */
export function wheelScrollsWithin(target: EventTarget | null, stop: Element, dx: number, dy: number): boolean {
  for (let el = target instanceof Element ? target : null; el !== null; el = el.parentElement) {
    const css = getComputedStyle(el);
    const canY = /auto|scroll/.test(css.overflowY) && el.scrollHeight > el.clientHeight;
    const canX = /auto|scroll/.test(css.overflowX) && el.scrollWidth > el.clientWidth;
    if (canY && (dy < 0 ? el.scrollTop > 0 : dy > 0 && el.scrollTop + el.clientHeight < el.scrollHeight)) return true;
    if (canX && (dx < 0 ? el.scrollLeft > 0 : dx > 0 && el.scrollLeft + el.clientWidth < el.scrollWidth)) return true;
    if (el === stop) break;
  }
  return false;
}

/**
 * Which way a key would scroll the page from `target` (-1 up, 1 down), or
 * 0 when it is not a scrolling key there: typed into a field or a widget
 * that moves with the arrows (a slider, a list, a menu), or Space on
 * something it presses (a button, a checkbox).
 */
export function keyScrollDirection(e: KeyboardEvent): number {
  if (e.ctrlKey || e.altKey || e.metaKey) return 0;
  const el = e.target instanceof Element ? e.target : null;
  if (
    el?.closest(
      'input, textarea, select, [contenteditable]:not([contenteditable="false"]), [role="textbox"], [role="slider"], [role="spinbutton"], [role="listbox"], [role="menu"], [role="grid"]',
    )
  )
    return 0;
  switch (e.key) {
    case 'PageDown':
    case 'End':
    case 'ArrowDown':
      return 1;
    case 'PageUp':
    case 'Home':
    case 'ArrowUp':
      return -1;
    case ' ':
      if (el?.closest('button, summary, [role="button"], [role="checkbox"], [role="switch"], [role="radio"], [role="menuitem"], [role="option"], [role="tab"]'))
        return 0;
      return e.shiftKey ? -1 : 1;
    default:
      return 0;
  }
}
