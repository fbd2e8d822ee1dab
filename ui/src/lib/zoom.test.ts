import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../test/fake-bindings'));

import { backend, commands } from '../test/fake-bindings';
import { toasts } from './toasts.svelte';
import { defaultZoom, nextZoom, zoom, zoomForKey, zoomSteps } from './zoom.svelte';

function key(k: string, mods: Partial<KeyboardEvent> = { ctrlKey: true }): KeyboardEvent {
  return new KeyboardEvent('keydown', { key: k, cancelable: true, ...mods });
}

describe('zoom', () => {
  it('steps through the levels the Rust side offers, and stops at the ends', () => {
    expect(zoomSteps).toEqual([50, 67, 80, 90, 100, 110, 125, 150, 175, 200]);
    expect(defaultZoom).toBe(100);
    expect(nextZoom(100, 1)).toBe(110);
    expect(nextZoom(100, -1)).toBe(90);
    expect(nextZoom(200, 1)).toBeNull();
    expect(nextZoom(50, -1)).toBeNull();
    // A level off the steps (a file edited by hand) goes to the next one.
    expect(nextZoom(105, 1)).toBe(110);
    expect(nextZoom(105, -1)).toBe(100);
  });

  it('reads Ctrl with =, +, -, _ and 0 as zoom keys, and nothing else', () => {
    expect(zoomForKey(key('='), 100)).toBe(110);
    expect(zoomForKey(key('+', { ctrlKey: true, shiftKey: true }), 100)).toBe(110);
    expect(zoomForKey(key('-'), 100)).toBe(90);
    expect(zoomForKey(key('_', { ctrlKey: true, shiftKey: true }), 100)).toBe(90);
    expect(zoomForKey(key('0'), 150)).toBe(100);
    expect(zoomForKey(key('=', { ctrlKey: true, altKey: true }), 100)).toBeNull();
    expect(zoomForKey(key('='), 200)).toBe(200);
    for (const plain of ['=', '-', '0', '+']) expect(zoomForKey(key(plain, {}), 100)).toBeNull();
    expect(zoomForKey(key('a'), 100)).toBeNull();
  });

  it('zooms one step a wheel notch with Ctrl, adding up the small deltas of a pinch, and leaves a plain wheel to scroll', async () => {
    backend.reset();
    zoom.percent = 100;
    const wheel = (deltaY: number, ctrlKey = true): WheelEvent =>
      new WheelEvent('wheel', { deltaY, ctrlKey, cancelable: true });
    const plain = wheel(-100, false);
    zoom.onWheel(plain);
    expect(plain.defaultPrevented, 'a plain wheel scrolls').toBe(false);
    // One notch of a wheel as WebKitGTK reports it.
    const up = wheel(-74);
    zoom.onWheel(up);
    expect(up.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(zoom.percent).toBe(110));
    for (let i = 0; i < 4; i++) zoom.onWheel(wheel(15));
    await vi.waitFor(() => expect(zoom.percent).toBe(100));
    expect(backend.state.settings.zoom).toBe(100);
    // Two deltas short of a step: nothing yet.
    zoom.onWheel(wheel(-20));
    zoom.onWheel(wheel(-20));
    await new Promise((r) => setTimeout(r, 10));
    expect(zoom.percent).toBe(100);
  });

  it('zooms and keeps the level through the Rust side, announcing it; at the end it says so', async () => {
    backend.reset();
    toasts.clear();
    zoom.percent = 100;
    const e = key('=');
    zoom.onKey(e);
    expect(e.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(zoom.percent).toBe(110));
    expect(commands.setZoom).toHaveBeenLastCalledWith(110);
    expect(backend.state.settings.zoom).toBe(110);
    expect(toasts.items[toasts.items.length - 1]?.message).toBe('Zoom 110 %');
    zoom.onKey(key('0'));
    await vi.waitFor(() => expect(zoom.percent).toBe(100));
    expect(
      toasts.items.map((t) => t.message),
      'one toast names the level, the latest',
    ).toEqual(['Zoom 100 %']);
    zoom.percent = 200;
    const calls = commands.setZoom.mock.calls.length;
    zoom.onKey(key('='));
    expect(commands.setZoom.mock.calls.length, 'nothing asked past the end').toBe(calls);
    expect(toasts.items[toasts.items.length - 1]?.message).toBe('Zoom 200 %, the largest');
  });
});
