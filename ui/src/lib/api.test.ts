// @vitest-environment node
import { describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../test/fake-bindings'));

import { emptyState, fakeAccountId, fakeListId, makePost } from '../dev/fake-backend';
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

describe('api: moderation', () => {
  it('passes the arguments of every moderation command through and unwraps the answers', async () => {
    const state = emptyState();
    state.phase = 'ready';
    const ada = fakeAccountId('ada');
    const post = makePost({ author: ada, text: 'hi' });
    state.posts.push(post);
    backend.reset(state);

    await expect(api.block(ada, true)).resolves.toBeNull();
    expect(commands.block).toHaveBeenCalledWith(ada, true);
    await api.unblock(ada);
    await api.mute(ada, false);
    expect(commands.mute).toHaveBeenCalledWith(ada, false);
    await expect(api.muteWord(' Tea ', true)).resolves.toBe('tea');
    expect(commands.muteWord).toHaveBeenCalledWith(' Tea ', true);

    const created = await api.createList('Mine');
    expect(created).toMatchObject({ own: true, list: { name: 'Mine', entries: 0 } });
    const detail = await api.listAdd(created.list.id, post.id, ['spam', 'other'], 'why');
    expect(commands.listAdd).toHaveBeenCalledWith(created.list.id, post.id, ['spam', 'other'], 'why');
    expect(detail.entries).toEqual([expect.objectContaining({ target: post.id, labels: ['spam', 'other'], reason: 'why' })]);

    const other = fakeListId('other');
    await expect(api.subscribeList(other, ['spam'], ['other'])).resolves.toMatchObject({
      id: other,
      name: null,
      hide: ['spam'],
      warn: ['other'],
      subscribed: true,
    });
    const sent = await api.report(post.id, ['spam'], 'why', null);
    expect(commands.report).toHaveBeenCalledWith(post.id, ['spam'], 'why', null);
    expect(sent).toEqual([expect.objectContaining({ list: other, status: 'queued' })]);
    await expect(api.sentReports()).resolves.toHaveLength(1);
    await expect(api.reports(true)).resolves.toEqual([]);
    expect(commands.reports).toHaveBeenCalledWith(true);
    await expect(api.moderation()).resolves.toMatchObject({
      marks: { mutes: [expect.objectContaining({ target: ada })], words: [expect.objectContaining({ target: 'tea' })] },
      open_reports: 0,
    });
  });

  it('turns an error answer into an ApiError with its message', async () => {
    commands.setPolicy.mockResolvedValueOnce({
      status: 'error',
      error: { code: 'invalid', message: 'a peer rate of 0 would refuse every pushed change; give at least 1' },
    });
    await expect(api.setPolicy('follows', 0)).rejects.toMatchObject({
      name: 'ApiError',
      code: 'invalid',
      message: 'a peer rate of 0 would refuse every pushed change; give at least 1',
    });
    expect(commands.setPolicy).toHaveBeenCalledWith('follows', 0);
    commands.muteWord.mockRejectedValueOnce(new Error('ipc down'));
    await expect(api.muteWord('x', false)).rejects.toMatchObject({ code: 'ipc', message: 'ipc down' });
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
