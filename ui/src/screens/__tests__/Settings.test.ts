import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { WORDS } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { useReadyAccount } from '../../test/helpers';
import { toasts } from '$lib/toasts.svelte';
import Settings from '../Settings.svelte';

describe('Settings', () => {
  beforeEach(() => {
    const s = useReadyAccount();
    s.settings = { listen: ['/ip4/0.0.0.0/tcp/4001'], bootstrap: [], mdns: true, theme: 'system', notifications: true };
    toasts.clear();
    document.documentElement.dataset.theme = 'system';
  });

  it('saves multiaddrs one per line, blank lines dropped, and says addresses apply at next start', async () => {
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
    });
    await waitFor(() =>
      expect(toasts.items.map((t) => t.message)).toContain('Saved. Listen and bootstrap addresses apply at next start.'),
    );
  });

  it('refuses to save a line that is not a multiaddr', async () => {
    render(Settings);
    await fireEvent.input(await screen.findByLabelText('Bootstrap addresses'), { target: { value: '192.168.1.20:4001' } });
    expect(screen.getByRole('alert')).toHaveTextContent('Not a multiaddr: 192.168.1.20:4001');
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
  });

  it('applies a theme at once and puts the saved one back if left unsaved', async () => {
    const { unmount } = render(Settings);
    await fireEvent.click(await screen.findByRole('radio', { name: 'Dark' }));
    expect(document.documentElement.dataset.theme).toBe('dark');
    unmount();
    expect(document.documentElement.dataset.theme).toBe('system');
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
    expect(alert).toHaveTextContent('Wrong passphrase.');
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
});
