import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { fakeAvailable, fakeHeldRelease, FAKE_FINGERPRINT, type FakeState } from '../../dev/fake-backend';
import { backend, commands } from '../../test/fake-bindings';
import { useReadyAccount } from '../../test/helpers';
import { toasts } from '$lib/toasts.svelte';
import { updates } from '$lib/updates.svelte';
import Share from '../Share.svelte';

describe('Share Kith', () => {
  let s: FakeState;

  beforeEach(() => {
    s = useReadyAccount();
    updates.reset();
    toasts.clear();
  });

  it('shows the running version and the release key to read aloud', async () => {
    render(Share);
    expect(await screen.findByTestId('running-version')).toHaveTextContent('This computer runs Kith 0.1.0.');
    expect(screen.getByTestId('release-fingerprint').textContent?.replace(/\s/g, '')).toBe(FAKE_FINGERPRINT);
    expect(screen.getByText(/Read it aloud so the other person can compare/)).toBeInTheDocument();
  });

  it('offers to choose a package when none is kept, then shows the kept release', async () => {
    render(Share);
    expect(await screen.findByTestId('no-held-release')).toHaveTextContent('kith-manifest.txt');
    expect(screen.queryByTestId('share-start')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Choose a Kith package…' }));

    expect(await screen.findByTestId('held-release')).toHaveTextContent('Kith 0.1.0, released 2026-11-23');
    const files = screen.getAllByTestId('held-file');
    expect(files).toHaveLength(2);
    const deb = s.release.held!.files[0]!;
    expect(within(files[0]!).getByTestId('held-file-name')).toHaveTextContent(deb.name);
    expect(within(files[0]!).getByTestId('held-file-sha256')).toHaveTextContent(deb.sha256);
    expect(files[0]).toHaveTextContent('9.5 MiB');
    expect(screen.getByRole('button', { name: 'Share on this network' })).toBeInTheDocument();
  });

  it('says so when the file dialog was cancelled, and shows why a package was refused', async () => {
    s.release.picked = null;
    render(Share);
    await fireEvent.click(await screen.findByRole('button', { name: 'Choose a Kith package…' }));
    expect(await screen.findByText('No package chosen.')).toBeInTheDocument();

    commands.keepPackage.mockResolvedValueOnce({
      status: 'error',
      error: { code: 'invalid', message: 'kith-manifest.txt is not beside /tmp/Kith_0.1.0_amd64.deb' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Choose a Kith package…' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('kith-manifest.txt is not beside');
  });

  it('copies a SHA-256', async () => {
    s.release.held = fakeHeldRelease('0.1.0');
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(Share);
    const name = s.release.held.files[1]!.name;
    await fireEvent.click(await screen.findByRole('button', { name: `Copy the SHA-256 of ${name}` }));
    expect(writeText).toHaveBeenCalledWith(s.release.held.files[1]!.sha256);
  });

  it('starts sharing on the chosen address: URL, QR code, countdown and hashes; Stop returns to the form', async () => {
    s.release.held = fakeHeldRelease('0.1.0');
    render(Share);
    const address = await screen.findByLabelText('Address the other person can reach');
    expect(address).toHaveValue('192.168.1.23');
    await fireEvent.input(address, { target: { value: '10.0.0.5' } });
    const minutes = screen.getByLabelText('Minutes before it stops');
    expect(minutes).toHaveValue(15);
    await fireEvent.input(minutes, { target: { value: '30' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Share on this network' }));

    expect(await screen.findByTestId('share-url')).toHaveTextContent('http://10.0.0.5:4180/');
    expect(commands.shareStart).toHaveBeenCalledWith('10.0.0.5', 30);
    const qr = screen.getByRole('img', { name: 'QR code of the page address' });
    expect(qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(screen.getByTestId('share-countdown')).toHaveTextContent(/^Stops by itself at \d\d:\d\d \(in 30 minutes\)\.$/);
    expect(screen.getByText(/sha256sum FILE/)).toBeInTheDocument();
    expect(screen.getAllByTestId('share-file-sha256').map((e) => e.textContent)).toEqual(
      s.release.held.files.map((f) => f.sha256),
    );
    expect(screen.queryByTestId('share-start')).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Stop sharing' }));
    expect(await screen.findByRole('button', { name: 'Share on this network' })).toBeInTheDocument();
    expect(commands.shareStop).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('share-url')).toBeNull();
    expect(s.release.sharing).toBeNull();
  });

  it('shows the page still up when the screen is opened again', async () => {
    s.release.held = fakeHeldRelease('0.1.0');
    render(Share);
    await fireEvent.click(await screen.findByRole('button', { name: 'Share on this network' }));
    await screen.findByTestId('share-url');
    document.body.innerHTML = '';
    render(Share);
    expect(await screen.findByTestId('share-url')).toHaveTextContent('http://192.168.1.23:4180/');
    expect(screen.getByRole('button', { name: 'Stop sharing' })).toBeInTheDocument();
  });

  it('refuses minutes outside 1 to 240 before asking the node', async () => {
    s.release.held = fakeHeldRelease('0.1.0');
    render(Share);
    const minutes = await screen.findByLabelText('Minutes before it stops');
    const start = screen.getByRole('button', { name: 'Share on this network' });
    for (const [value, message] of [
      ['0', 'Share for 1 to 240 minutes, not 0.'],
      ['241', 'Share for 1 to 240 minutes, not 241.'],
      ['2.5', 'Give a whole number of minutes: 1 to 240.'],
      ['', 'Give how many minutes the page stays up: 1 to 240.'],
    ] as const) {
      await fireEvent.input(minutes, { target: { value } });
      await fireEvent.click(start);
      expect(await screen.findByTestId('share-error')).toHaveTextContent(message);
      expect(minutes).toHaveAttribute('aria-invalid', 'true');
    }
    expect(commands.shareStart).not.toHaveBeenCalled();

    await fireEvent.input(minutes, { target: { value: '240' } });
    await fireEvent.click(start);
    await screen.findByTestId('share-url');
    expect(commands.shareStart).toHaveBeenCalledWith('192.168.1.23', 240);
  });

  it('asks for an address when this machine has no LAN address, and shows what the node says', async () => {
    s.release.held = fakeHeldRelease('0.1.0');
    s.release.lanAddresses = [];
    render(Share);
    const input = await screen.findByLabelText('Address to share on');
    expect(screen.getByText(/has no LAN address right now/)).toBeInTheDocument();
    const start = screen.getByRole('button', { name: 'Share on this network' });
    await fireEvent.click(start);
    expect(await screen.findByTestId('share-error')).toHaveTextContent('Type an address of this computer');
    expect(commands.shareStart).not.toHaveBeenCalled();

    await fireEvent.input(input, { target: { value: 'nowhere' } });
    await fireEvent.click(start);
    await waitFor(() => expect(screen.getByTestId('share-error')).toHaveTextContent('`nowhere` is not an address'));

    await fireEvent.input(input, { target: { value: '172.16.0.9:8080' } });
    await fireEvent.click(start);
    expect(await screen.findByTestId('share-url')).toHaveTextContent('http://172.16.0.9:8080/');
  });

  describe('Updates', () => {
    it('says when nothing newer is offered', async () => {
      render(Share);
      expect(await screen.findByTestId('update-panel-text')).toHaveTextContent(
        'Kith 0.1.0 is the newest release your peers have told this computer about.',
      );
      expect(screen.queryByTestId('update-refused')).toBeNull();
    });

    it('downloads the offered update; the new release is then kept to share', async () => {
      s.release.held = fakeHeldRelease('0.1.0');
      s.release.available = fakeAvailable('0.2.0', 2);
      render(Share);
      expect(await screen.findByTestId('update-panel-text')).toHaveTextContent('Kith 0.2.0 is available (from 2 peers)');
      await fireEvent.click(screen.getByRole('button', { name: 'Download Kith 0.2.0' }));
      await waitFor(() =>
        expect(screen.getByTestId('update-panel-text')).toHaveTextContent('Kith 0.2.0 is downloaded and verified'),
      );
      expect(await screen.findByTestId('held-release')).toHaveTextContent('Kith 0.2.0');
      expect(screen.getByRole('button', { name: 'Install Kith 0.2.0…' })).toBeInTheDocument();
    });

    it('lists refused notices, collapsed', async () => {
      s.release.refused = [
        { version: '0.3.0', from: '12D3KooWAb9sP1mBvN2yQ4rTxE7uF3gH6jK8LwZcV5nM1oR2pS3t', reason: 'signed by an unknown key' },
        { version: null, from: 'unknown', reason: 'the notice names no publisher' },
      ];
      render(Share);
      const details = await screen.findByTestId('update-refused');
      expect(details).not.toHaveAttribute('open');
      expect(within(details).getByText('Refused notices (2)')).toBeInTheDocument();
      expect(details).toHaveTextContent('Kith 0.3.0 from …nM1oR2pS3t: signed by an unknown key');
      expect(details).toHaveTextContent('Unreadable version from unknown: the notice names no publisher');
    });

    it('shows why the last download failed', async () => {
      s.release.available = fakeAvailable('0.2.0', 1);
      s.release.error = 'no peer that offered it could be reached';
      render(Share);
      expect(await screen.findByTestId('update-panel-error')).toHaveTextContent(
        'The last download failed: no peer that offered it could be reached',
      );
      expect(backend.state.release.downloaded).toBeNull();
    });
  });
});
