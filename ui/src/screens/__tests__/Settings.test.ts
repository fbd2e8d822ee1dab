import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

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

  it('saves multiaddrs one per line, blank lines dropped, and says network settings apply at next start', async () => {
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
      expect(toasts.items.map((t) => t.message)).toContain('Saved. Network settings apply at next start.'),
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
