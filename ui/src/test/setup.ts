// jsdom lacks a few browser APIs the app uses; tests get small stand-ins.
// (Pure-logic tests run in the plain node environment, without a window.)
import '@testing-library/jest-dom/vitest';
import { beforeEach } from 'vitest';
import { forgetAllDrafts } from '../lib/drafts';

// Unsent drafts outlive a composer (lib/drafts.ts): none carries over
// from one test to the next.
beforeEach(() => forgetAllDrafts());

class NoIntersectionObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
  takeRecords(): [] {
    return [];
  }
}

if (typeof window !== 'undefined') {
  if (!('IntersectionObserver' in globalThis)) {
    Object.assign(globalThis, { IntersectionObserver: NoIntersectionObserver });
  }
  // jsdom's scrollTo only logs "not implemented".
  window.scrollTo = (() => {}) as typeof window.scrollTo;
  if (!Element.prototype.scrollIntoView) {
    Element.prototype.scrollIntoView = function (): void {};
  }
  if (typeof URL.createObjectURL !== 'function') {
    URL.createObjectURL = () => 'blob:preview';
    URL.revokeObjectURL = () => {};
  }
}
