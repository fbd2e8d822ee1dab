import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { WORDS } from '../../dev/fake-backend';
import { backend, commands } from '../../test/fake-bindings';
import { useReadyAccount } from '../../test/helpers';
import { idleLock } from '$lib/idlelock.svelte';
import { toasts } from '$lib/toasts.svelte';
import { zoom } from '$lib/zoom.svelte';
import Settings from '../Settings.svelte';

describe('Settings', () => {
  beforeEach(() => {
    const s = useReadyAccount();
    s.settings = {
      listen: ['/ip4/0.0.0.0/tcp/4001'],
      bootstrap: [],
      mdns: true,
      theme: 'system',
      notifications: true,
      lockAfterMinutes: 0,
      zoom: 100,
    };
    zoom.percent = 100;
    toasts.clear();
    document.documentElement.dataset.theme = 'system';
  });

  it('zooms the window at once from its choice, and saving the rest does not take the zoom back', async () => {
    render(Settings);
    const choice = (await screen.findByLabelText('Zoom')) as HTMLSelectElement;
    expect(choice.value).toBe('100');
    expect([...choice.options].map((o) => o.text)).toContain('100 % (default)');
    await fireEvent.change(choice, { target: { value: '125' } });
    await waitFor(() => expect(zoom.percent).toBe(125));
    expect(commands.setZoom).toHaveBeenLastCalledWith(125);
    expect(backend.state.settings.zoom).toBe(125);
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(commands.saveSettings).toHaveBeenCalled());
    expect(backend.state.settings.zoom, 'still the zoom chosen').toBe(125);
  });

  it('saves the wait before locking as it is chosen and applies it at once, with no Save', async () => {
    render(Settings);
    const choice = await screen.findByLabelText('Lock Kith after');
    expect(choice).toHaveValue('0');
    await fireEvent.change(choice, { target: { value: '15' } });
    expect(idleLock.minutes).toBe(15);
    await waitFor(() =>
      expect(commands.setPreference).toHaveBeenLastCalledWith({ name: 'lockAfterMinutes', value: 15 }),
    );
    expect(backend.state.settings.lockAfterMinutes).toBe(15);
    expect(commands.saveSettings).not.toHaveBeenCalled();
  });

  it('saves notifications on or off as the box is ticked, and unticks nothing it could not save', async () => {
    render(Settings);
    const box = await screen.findByRole('checkbox', { name: /Desktop notifications/ });
    expect(box).toBeChecked();
    await fireEvent.click(box);
    await waitFor(() => expect(backend.state.settings.notifications).toBe(false));
    expect(commands.setPreference).toHaveBeenLastCalledWith({ name: 'notifications', value: false });
    expect(commands.saveSettings).not.toHaveBeenCalled();

    commands.setPreference.mockResolvedValueOnce({
      status: 'error',
      error: { code: 'io', message: '/home/you/.local/share/kith/desktop.json: Permission denied' },
    });
    await fireEvent.click(box);
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain(
      '/home/you/.local/share/kith/desktop.json: Permission denied',
    ));
    expect(box, 'back as it is saved').not.toBeChecked();
    expect(backend.state.settings.notifications).toBe(false);
  });

  it('saves multiaddrs one per line, blank lines dropped, and shows where the node listens once applied', async () => {
    render(Settings);
    const listen = await screen.findByLabelText('Listen addresses');
    expect(listen).toHaveValue('/ip4/0.0.0.0/tcp/4001');
    await fireEvent.input(listen, { target: { value: '\n /ip4/0.0.0.0/tcp/4001 \n\n/ip6/::/tcp/4001\n' } });
    await fireEvent.input(screen.getByLabelText('Bootstrap addresses'), {
      target: { value: '/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWabc\n\n' },
    });
    await fireEvent.click(screen.getByRole('checkbox', { name: /Find peers on the local network/ }));
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(commands.saveSettings).toHaveBeenCalled());
    expect(commands.saveSettings).toHaveBeenCalledWith({
      listen: ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001'],
      bootstrap: ['/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWabc'],
      mdns: false,
      theme: 'system',
      notifications: true,
      lockAfterMinutes: 0,
      zoom: 100,
    });
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('Saved'));
    await waitFor(() =>
      expect(
        within(screen.getByTestId('listening-now'))
          .getAllByRole('listitem')
          .map((li) => li.textContent),
      ).toEqual(['/ip4/127.0.0.1/tcp/4001', '/ip4/192.168.1.23/tcp/4001', '/ip6/::/tcp/4001']),
    );
  });

  it('keeps everything as it was when a listen address cannot be used, and says why beside the addresses', async () => {
    commands.saveSettings.mockResolvedValueOnce({
      status: 'error',
      error: {
        code: 'listen',
        message:
          'Not saved: cannot listen on /ip4/0.0.0.0/tcp/80: Permission denied (os error 13). Kith still listens where it did.',
      },
    });
    render(Settings);
    const listen = await screen.findByLabelText('Listen addresses');
    await waitFor(() => expect(screen.getByTestId('listening-now')).toHaveTextContent('/ip4/192.168.1.23/tcp/4001'));
    await fireEvent.input(listen, { target: { value: '/ip4/0.0.0.0/tcp/80' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const error = await screen.findByTestId('listen-error');
    expect(error).toHaveTextContent('Not saved: cannot listen on /ip4/0.0.0.0/tcp/80: Permission denied');
    expect(error).toHaveAttribute('role', 'alert');
    expect(listen).toHaveFocus();
    expect(listen).toHaveAttribute('aria-invalid', 'true');
    expect(listen.getAttribute('aria-describedby')?.split(' ')).toContain(error.id);
    expect(toasts.items).toHaveLength(0);
    // Editing the addresses clears the error; the node still listens where it did.
    await fireEvent.input(listen, { target: { value: '/ip4/0.0.0.0/tcp/4001' } });
    expect(screen.queryByTestId('listen-error')).toBeNull();
    expect(screen.getByTestId('listening-now')).toHaveTextContent('/ip4/192.168.1.23/tcp/4001');
  });

  it('says so when the node could not listen where the settings ask and fell back to a free port', async () => {
    backend.state.listen = {
      wanted: ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/udp/0/quic-v1'],
      listening: ['/ip4/192.168.1.23/tcp/39211'],
      problem: 'cannot listen on /ip4/0.0.0.0/tcp/4001: Address already in use (os error 98)',
    };
    render(Settings);
    const note = await screen.findByTestId('listen-problem');
    expect(note).toHaveTextContent('Kith can’t listen where these settings ask');
    expect(note).toHaveTextContent('Address already in use');
    expect(screen.getByTestId('listening-now')).toHaveTextContent('/ip4/192.168.1.23/tcp/39211');
  });

  it('lists nowhere to listen when the node cannot say (not running)', async () => {
    commands.listenStatus.mockResolvedValueOnce({ status: 'error', error: { code: 'not_ready', message: 'locked' } });
    render(Settings);
    await screen.findByLabelText('Listen addresses');
    expect(screen.queryByTestId('listening-now')).toBeNull();
    expect(screen.queryByTestId('listen-problem')).toBeNull();
  });

  it('refuses to save a line that is not a multiaddr', async () => {
    render(Settings);
    await fireEvent.input(await screen.findByLabelText('Bootstrap addresses'), { target: { value: '192.168.1.20:4001' } });
    expect(screen.getByRole('alert')).toHaveTextContent('Not a multiaddr: 192.168.1.20:4001');
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
  });

  it('applies and keeps a theme as it is chosen, with no Save (the panel says it applies at once)', async () => {
    const { unmount } = render(Settings);
    await fireEvent.click(await screen.findByRole('radio', { name: 'Dark' }));
    expect(document.documentElement.dataset.theme).toBe('dark');
    await waitFor(() => expect(commands.setPreference).toHaveBeenLastCalledWith({ name: 'theme', value: 'dark' }));
    expect(commands.saveSettings).not.toHaveBeenCalled();
    unmount();
    expect(document.documentElement.dataset.theme, 'still dark after leaving').toBe('dark');
    expect((await commands.settings()).theme, 'and saved').toBe('dark');
  });

  it('shows the data directory read-only with how to pick another', async () => {
    render(Settings);
    const home = await screen.findByLabelText('Data directory');
    expect(home).toHaveValue('/home/you/.local/share/kith');
    expect(home).toHaveAttribute('readonly');
    expect(screen.getByText('KITH_HOME')).toBeInTheDocument();
  });
});

describe('Settings: recovery phrase', () => {
  beforeEach(() => {
    useReadyAccount();
  });

  it('shows the 24 words in order after the right passphrase, and clears the field', async () => {
    render(Settings);
    const input = await screen.findByLabelText('Passphrase');
    expect(input).toHaveAttribute('type', 'password');
    expect(screen.queryByTestId('recovery-word')).not.toBeInTheDocument();
    await fireEvent.input(input, { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Show recovery phrase' }));
    expect(commands.recoveryPhrase).toHaveBeenCalledWith('correct horse');
    const words = await screen.findAllByTestId('recovery-word');
    expect(words.map((w) => w.textContent)).toEqual(WORDS);
    expect(screen.getByTestId('recovery-phrase')).toHaveTextContent(/1\s*abandon/);
    expect(screen.getByTestId('recovery-phrase')).toHaveFocus();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    // The passphrase does not stay in the form.
    await fireEvent.click(screen.getByRole('button', { name: 'Hide' }));
    expect(screen.getByLabelText('Passphrase')).toHaveValue('');
  });

  it('says so inline for a wrong passphrase, clears the field and shows no words', async () => {
    render(Settings);
    const input = await screen.findByTestId('reveal-passphrase-input');
    await fireEvent.input(input, { target: { value: 'wrong horse' } });
    await fireEvent.submit(input.closest('form')!);
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('That passphrase does not open this account.');
    expect(input).toHaveValue('');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveFocus();
    expect(screen.queryByTestId('recovery-word')).not.toBeInTheDocument();
  });

  it('hides the words again with "Hide" and when leaving the screen', async () => {
    const { unmount } = render(Settings);
    await fireEvent.input(await screen.findByTestId('reveal-passphrase-input'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByTestId('reveal-phrase-button'));
    expect(await screen.findAllByTestId('recovery-word')).toHaveLength(24);
    await fireEvent.click(screen.getByTestId('hide-phrase-button'));
    expect(screen.queryByTestId('recovery-word')).not.toBeInTheDocument();
    expect(screen.getByTestId('reveal-passphrase-input')).toHaveFocus();

    // Shown again, then the screen is left: a new visit starts hidden.
    await fireEvent.input(screen.getByTestId('reveal-passphrase-input'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByTestId('reveal-phrase-button'));
    expect(await screen.findAllByTestId('recovery-word')).toHaveLength(24);
    unmount();
    render(Settings);
    expect(await screen.findByTestId('reveal-passphrase-input')).toHaveValue('');
    expect(screen.queryByTestId('recovery-word')).not.toBeInTheDocument();
  });

  it('changes the passphrase only with the current one, and says when it is wrong', async () => {
    render(Settings);
    const panel = await screen.findByTestId('passphrase-section');
    const field = (id: string, value: string) => fireEvent.input(within(panel).getByTestId(id), { target: { value } });
    await field('current-passphrase-input', 'not the one');
    await field('new-passphrase-input', 'a better passphrase');
    await field('new-passphrase-confirm-input', 'a better passphrase');
    await fireEvent.click(within(panel).getByTestId('change-passphrase-button'));
    expect(await within(panel).findByRole('alert')).toHaveTextContent('does not open this account');

    await field('current-passphrase-input', 'correct horse');
    await field('new-passphrase-confirm-input', 'a different one');
    await fireEvent.click(within(panel).getByTestId('change-passphrase-button'));
    expect(within(panel).getByRole('alert')).toHaveTextContent('do not match');

    await field('new-passphrase-confirm-input', 'a better passphrase');
    await fireEvent.click(within(panel).getByTestId('change-passphrase-button'));
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('Passphrase changed'));
    expect(commands.changePassphrase).toHaveBeenLastCalledWith('correct horse', 'a better passphrase');
    expect(within(panel).queryByRole('alert')).toBeNull();
    expect((within(panel).getByTestId('current-passphrase-input') as HTMLInputElement).value).toBe('');
    // The new one opens the recovery phrase now; the old one does not.
    expect((await commands.recoveryPhrase('a better passphrase')).status).toBe('ok');
    expect((await commands.recoveryPhrase('correct horse')).status).toBe('error');
  });
});
