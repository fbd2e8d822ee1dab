// What the post card's reaction picker and menu share: both are made when
// their button opens them, and both close on a press anywhere else.

/**
 * An attachment for an open popup: a press outside it and outside `anchor`
 * (the button that opened it, which toggles it itself) calls `onOutside`.
 * Listens in the capture phase, so a press that a card or a list handles
 * still closes the popup first.
 */
export function pressOutside(anchor: HTMLElement, onOutside: () => void): (popup: HTMLElement) => () => void {
  return (popup) => {
    const listener = (e: Event): void => {
      const t = e.target;
      if (t instanceof Node && !popup.contains(t) && !anchor.contains(t)) onOutside();
    };
    document.addEventListener('pointerdown', listener, true);
    return () => document.removeEventListener('pointerdown', listener, true);
  };
}
