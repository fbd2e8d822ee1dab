// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../test/fake-bindings'));

import { backend, commands } from '../test/fake-bindings';
import { api, ApiError, blobUrl, errorMessage, on, toApiError, unwrap } from './api';

describe('unwrap', () => {
  it('returns the data of an ok result', async () => {
    await expect(unwrap({ status: 'ok', data: 42 })).resolves.toBe(42);
    await expect(unwrap(Promise.resolve({ status: 'ok' as const, data: 'x' }))).resolves.toBe('x');
  });

  it('throws an ApiError carrying the code and message of an error result', async () => {
    const failing = unwrap({ status: 'error', error: { code: 'bad_passphrase', message: 'Wrong passphrase.' } });
    await expect(failing).rejects.toBeInstanceOf(ApiError);
    await expect(failing).rejects.toMatchObject({ code: 'bad_passphrase', message: 'Wrong passphrase.' });
  });

  it('turns a thrown Error (IPC failure) into an ApiError with code "ipc"', async () => {
    const e = await unwrap(Promise.reject(new Error('invoke failed'))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'ipc', message: 'invoke failed' });
  });

  it('keeps the message of odd errors', () => {
    expect(toApiError('plain string').message).toBe('plain string');
    expect(toApiError({ nope: true }).code).toBe('unknown');
    expect(errorMessage(new ApiError('x', 'shown to people'))).toBe('shown to people');
  });
});

describe('api', () => {
  it('unwraps every command through the bindings', async () => {
    backend.reset();
    commands.unlock.mockResolvedValueOnce({ status: 'error', error: { code: 'wrong_passphrase', message: 'Nope' } });
    await expect(api.unlock('x')).rejects.toMatchObject({ code: 'wrong_passphrase', message: 'Nope' });
    expect(commands.unlock).toHaveBeenCalledWith('x');
    await expect(api.appStatus()).resolves.toMatchObject({ phase: 'new' });
  });

  it('maps a thrown IPC error of an infallible command (appStatus, settings) to ApiError', async () => {
    commands.appStatus.mockRejectedValueOnce(new Error('ipc down'));
    await expect(api.appStatus()).rejects.toMatchObject({ code: 'ipc', message: 'ipc down' });
    await expect(api.settings()).resolves.toMatchObject({ theme: 'system' });
  });
});

describe('blobUrl', () => {
  it('uses the kith-blob scheme URL form of Linux and macOS', () => {
    expect(blobUrl('ab12')).toBe('kith-blob://localhost/ab12');
  });
});

describe('on (events)', () => {
  it('delivers payloads and stops after unsubscribing, even before listen resolved', async () => {
    const seen: number[] = [];
    const off = on.peersChanged((p) => seen.push(p.connected));
    await Promise.resolve();
    backend.emit('peersChanged', { connected: 3 });
    off();
    backend.emit('peersChanged', { connected: 4 });
    expect(seen).toEqual([3]);

    const early = on.peersChanged(() => seen.push(99));
    early(); // before the listen promise settles
    await Promise.resolve();
    await Promise.resolve();
    backend.emit('peersChanged', { connected: 5 });
    expect(seen).toEqual([3]);
    expect(backend.listenerCount('peersChanged')).toBe(0);
  });
});
