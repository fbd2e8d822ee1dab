import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ConfirmDialog from '../ConfirmDialog.svelte';

function wheel(target: Element, deltaY: number): WheelEvent {
  const e = new WheelEvent('wheel', { deltaY, bubbles: true, cancelable: true });
  target.dispatchEvent(e);
  return e;
}

describe('Modal', () => {
  it('holds the page behind still under the wheel, over the backdrop or a dialog with nothing to scroll', () => {
    render(ConfirmDialog, { title: 'Delete this post?', message: 'Sure?', onConfirm: () => {}, onCancel: () => {} });
    const dialog = screen.getByRole('alertdialog');
    const backdrop = dialog.parentElement!;
    expect(wheel(backdrop, 100).defaultPrevented, 'over the backdrop').toBe(true);
    expect(wheel(screen.getByRole('button', { name: 'Cancel' }), -100).defaultPrevented, 'over the dialog').toBe(true);
  });

  it('lets the wheel scroll a dialog’s own long content, until its end', () => {
    render(ConfirmDialog, { title: 'Delete this post?', message: 'Sure?', onConfirm: () => {}, onCancel: () => {} });
    const dialog = screen.getByRole('alertdialog');
    // jsdom lays nothing out: a dialog taller than the window, as a browser would have it.
    dialog.style.overflowY = 'auto';
    Object.defineProperty(dialog, 'scrollHeight', { value: 2000 });
    Object.defineProperty(dialog, 'clientHeight', { value: 600 });
    const button = screen.getByRole('button', { name: 'Cancel' });
    expect(wheel(button, 100).defaultPrevented, 'down from the top').toBe(false);
    expect(wheel(button, -100).defaultPrevented, 'up from the top').toBe(true);
    dialog.scrollTop = 1400;
    expect(wheel(button, 100).defaultPrevented, 'down at the end').toBe(true);
  });

  it('leaves Ctrl + the wheel to zoom the window', async () => {
    render(ConfirmDialog, { title: 'Delete this post?', message: 'Sure?', onConfirm: () => {}, onCancel: () => {} });
    const backdrop = screen.getByRole('alertdialog').parentElement!;
    const e = new WheelEvent('wheel', { deltaY: 100, ctrlKey: true, bubbles: true, cancelable: true });
    await fireEvent(backdrop, e);
    expect(e.defaultPrevented).toBe(false);
  });
});
