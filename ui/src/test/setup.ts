// jsdom lacks a few browser APIs the app uses; tests get small stand-ins.
// (Pure-logic tests run in the plain node environment, without a window.)
import '@testing-library/jest-dom/vitest';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach } from 'vitest';
import { forgetAllDrafts } from '../lib/drafts';
import { reopenSavedDrafts } from '../lib/saveddrafts';

// Unsent drafts outlive a composer (lib/drafts.ts) and a restart (saved
// in IndexedDB, which jsdom lacks: an in-memory one stands in, empty for
// each test): none carries over from one test to the next.
beforeEach(() => {
  forgetAllDrafts();
  globalThis.indexedDB = new IDBFactory();
  reopenSavedDrafts();
});

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
