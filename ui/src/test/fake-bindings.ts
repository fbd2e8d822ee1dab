// Stands in for `$lib/bindings` in tests:
//   vi.mock('$lib/bindings', () => import('../test/fake-bindings'));
// Every command is a vi.fn over the in-memory fake backend, so tests can both
// drive realistic data and assert calls (or override one with mockResolvedValue).
import { vi, type Mock } from 'vitest';
import { createFakeBackend } from '../dev/fake-backend';

export type * from '../lib/bindings';

export const backend = createFakeBackend();

type Commands = typeof backend.commands;
type Mocked = { [K in keyof Commands]: Mock<Commands[K]> };

export const commands = Object.fromEntries(
  Object.entries(backend.commands).map(([name, fn]) => [name, vi.fn(fn)]),
) as unknown as Mocked;

export const events = backend.events;

// The constants are the generated ones (values, not stand-ins).
const actual = await vi.importActual<typeof import('../lib/bindings')>('../lib/bindings');
export const ZOOM = actual.ZOOM;
