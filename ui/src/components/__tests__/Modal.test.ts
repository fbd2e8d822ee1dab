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

  it('holds the page behind still under the scrolling keys, and leaves them to fields and to buttons’ Space', () => {
    render(ConfirmDialog, { title: 'Delete this post?', message: 'Sure?', onConfirm: () => {}, onCancel: () => {} });
    const cancel = screen.getByRole('button', { name: 'Cancel' });
    const key = (target: Element, k: string, shiftKey = false): boolean => {
      const e = new KeyboardEvent('keydown', { key: k, shiftKey, bubbles: true, cancelable: true });
      target.dispatchEvent(e);
      return e.defaultPrevented;
    };
    for (const k of ['PageDown', 'PageUp', 'End', 'Home', 'ArrowDown', 'ArrowUp'])
      expect(key(cancel, k), `${k} from a button`).toBe(true);
    expect(key(document.body, 'PageDown'), 'PageDown with the focus left on the page').toBe(true);
    expect(key(cancel, ' '), 'Space presses the button').toBe(false);
    const field = document.createElement('textarea');
    screen.getByRole('alertdialog').appendChild(field);
    expect(key(field, 'PageDown'), 'PageDown in a field is the field’s').toBe(false);
    expect(key(field, ' '), 'Space in a field types').toBe(false);
    const link = document.createElement('a');
    link.href = '#';
    screen.getByRole('alertdialog').appendChild(link);
    expect(key(link, ' '), 'Space on a link (links take no Space) would scroll the page').toBe(true);
    const slider = document.createElement('div');
    slider.setAttribute('role', 'slider');
    screen.getByRole('alertdialog').appendChild(slider);
    expect(key(slider, 'ArrowUp'), 'a slider’s arrows are the slider’s').toBe(false);
  });

  it('lets the keys scroll a dialog’s own long content, until its end', () => {
    render(ConfirmDialog, { title: 'Delete this post?', message: 'Sure?', onConfirm: () => {}, onCancel: () => {} });
    const dialog = screen.getByRole('alertdialog');
    dialog.style.overflowY = 'auto';
    Object.defineProperty(dialog, 'scrollHeight', { value: 2000 });
    Object.defineProperty(dialog, 'clientHeight', { value: 600 });
    const cancel = screen.getByRole('button', { name: 'Cancel' });
    cancel.focus();
    const key = (k: string): boolean => {
      const e = new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true });
      cancel.dispatchEvent(e);
      return e.defaultPrevented;
    };
    expect(key('PageDown'), 'down from the top').toBe(false);
    expect(key('PageUp'), 'up from the top').toBe(true);
    dialog.scrollTop = 1400;
    expect(key('PageDown'), 'down at the end').toBe(true);
  });

  it('leaves Ctrl + the wheel to zoom the window', async () => {
    render(ConfirmDialog, { title: 'Delete this post?', message: 'Sure?', onConfirm: () => {}, onCancel: () => {} });
    const backdrop = screen.getByRole('alertdialog').parentElement!;
    const e = new WheelEvent('wheel', { deltaY: 100, ctrlKey: true, bubbles: true, cancelable: true });
    await fireEvent(backdrop, e);
    expect(e.defaultPrevented).toBe(false);
  });
});
