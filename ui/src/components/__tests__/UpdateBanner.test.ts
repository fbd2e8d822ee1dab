import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { fakeAvailable, type FakeState } from '../../dev/fake-backend';
import type { AppError, Result, UpdateStatus } from '$lib/bindings';
import { backend, commands } from '../../test/fake-bindings';
import { useReadyAccount } from '../../test/helpers';
import { toasts } from '$lib/toasts.svelte';
import { updates } from '$lib/updates.svelte';
import UpdateBanner from '../updates/UpdateBanner.svelte';

describe('Update banner', () => {
  let s: FakeState;

  beforeEach(() => {
    s = useReadyAccount();
    s.release.available = fakeAvailable('0.2.0', 2);
    updates.reset();
    toasts.clear();
  });

  afterEach(() => updates.reset());

  it('says nothing while no newer Kith is offered, and appears when a notice arrives', async () => {
    s.release.available = null;
    render(UpdateBanner);
    updates.start();
    await waitFor(() => expect(commands.updateStatus).toHaveBeenCalledTimes(1));
    expect(screen.queryByTestId('update-banner')).toBeNull();

    s.release.available = fakeAvailable('0.2.0', 1);
    backend.emit('updateOffered', { version: '0.2.0' });
    expect(await screen.findByTestId('update-banner-text')).toHaveTextContent('Kith 0.2.0 is available (from 1 peer)');
    expect(commands.updateDownload).not.toHaveBeenCalled();
  });

  it('offers the update from two peers; Download fetches and verifies it, installing nothing', async () => {
    render(UpdateBanner);
    updates.start();
    const text = await screen.findByTestId('update-banner-text');
    expect(text).toHaveTextContent('Kith 0.2.0 is available (from 2 peers)');
    expect(screen.getByRole('region', { name: 'Kith update' })).toBeInTheDocument();

    await fireEvent.click(screen.getByRole('button', { name: 'Download' }));
    await waitFor(() => expect(screen.getByTestId('update-banner-text')).toHaveTextContent('Kith 0.2.0 is downloaded and verified'));
    expect(commands.updateDownload).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('button', { name: 'Install…' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Download' })).toBeNull();
    expect(commands.updateInstall).not.toHaveBeenCalled();
  });

  it('shows the progress of a download under way', async () => {
    let finish: (r: Result<UpdateStatus, AppError>) => void = () => {};
    commands.updateDownload.mockReturnValueOnce(new Promise((r) => (finish = r)));
    render(UpdateBanner);
    updates.start();
    await fireEvent.click(await screen.findByRole('button', { name: 'Download' }));
    expect(screen.getByRole('button', { name: 'Downloading…' })).toBeDisabled();

    s.release.downloading = { version: '0.2.0', file: 'Kith_0.2.0_amd64.deb', received: 2_621_440, size: 10_485_760 };
    backend.emit('updateOffered', { version: '0.2.0' });
    await waitFor(() =>
      expect(screen.getByTestId('update-banner-progress')).toHaveTextContent(
        'Downloading Kith_0.2.0_amd64.deb: 2.5 MiB of 10 MiB (25%)',
      ),
    );

    s.release.downloading = null;
    finish({ status: 'error', error: { code: 'update', message: 'the package does not match its manifest' } });
    expect(await screen.findByTestId('update-banner-error')).toHaveTextContent('the package does not match its manifest');
    expect(screen.getByRole('button', { name: 'Download' })).toBeEnabled();
  });

  it('asks before installing: Cancel installs nothing; Install runs the installer once', async () => {
    render(UpdateBanner);
    updates.start();
    await fireEvent.click(await screen.findByRole('button', { name: 'Download' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Install…' }));

    const dialog = screen.getByRole('alertdialog', { name: 'Install Kith 0.2.0?' });
    expect(dialog).toHaveAccessibleDescription(
      'Your system will ask for your password. Kith never installs anything by itself.',
    );
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(commands.updateInstall).not.toHaveBeenCalled();

    // Escape cancels too.
    await fireEvent.click(screen.getByRole('button', { name: 'Install…' }));
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(commands.updateInstall).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByRole('button', { name: 'Install…' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Install' }));
    await waitFor(() => expect(commands.updateInstall).toHaveBeenCalledTimes(1));
    expect(s.release.installed).toEqual(['0.2.0']);
    await waitFor(() => expect(screen.queryByTestId('update-banner')).toBeNull());
    expect(toasts.items.map((t) => t.message)).toContain('Kith 0.2.0 is installed. Restart Kith to use it.');
  });

  it('shows why the installer failed', async () => {
    render(UpdateBanner);
    updates.start();
    await fireEvent.click(await screen.findByRole('button', { name: 'Download' }));
    commands.updateInstall.mockResolvedValueOnce({
      status: 'error',
      error: { code: 'install', message: 'the installer did not finish (exit status: 126)' },
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'Install…' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Install' }));
    expect(await screen.findByTestId('update-banner-error')).toHaveTextContent('the installer did not finish');
    expect(screen.getByTestId('update-banner-text')).toHaveTextContent('Kith 0.2.0 is downloaded and verified');
  });

  it('can be put aside until another notice comes', async () => {
    render(UpdateBanner);
    updates.start();
    await screen.findByTestId('update-banner');
    await fireEvent.click(screen.getByRole('button', { name: 'Not now' }));
    expect(screen.queryByTestId('update-banner')).toBeNull();

    s.release.available = fakeAvailable('0.3.0', 3);
    backend.emit('updateOffered', { version: '0.3.0' });
    expect(await screen.findByTestId('update-banner-text')).toHaveTextContent('Kith 0.3.0 is available (from 3 peers)');
  });

  it('polls once a minute and stops listening when stopped', async () => {
    vi.useFakeTimers();
    try {
      s.release.available = null;
      updates.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(commands.updateStatus).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(commands.updateStatus).toHaveBeenCalledTimes(2);
      expect(backend.listenerCount('updateOffered')).toBe(1);
      updates.stop();
      await vi.advanceTimersByTimeAsync(0);
      expect(backend.listenerCount('updateOffered')).toBe(0);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(commands.updateStatus).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
