// A click on a card (a post, an activity item) opens what the card is about,
// unless it fell on a control inside the card or ended a text selection.

/** Controls inside a card, and the parts marked `no-open`, keep their clicks. */
const INTERACTIVE = 'a, button, input, textarea, select, label, summary, [role="button"], form, .no-open';

/** Whether a click on a card should open it. */
export function clickOpensCard(e: MouseEvent): boolean {
  const t = e.target;
  if (!(t instanceof Element) || t.closest(INTERACTIVE)) return false;
  const sel = window.getSelection?.();
  return !(sel && !sel.isCollapsed && sel.toString().trim() !== '');
}
