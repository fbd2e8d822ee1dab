import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import { backend, commands } from '../../test/fake-bindings';
import { ADA, BOB, ME, useReadyAccount } from '../../test/helpers';
import People from '../People.svelte';

let s: FakeState;

describe('People & sync', () => {
  beforeEach(() => {
    s = useReadyAccount();
    s.peers = [
      { peer_id: '12D3KooWQm3BpDy7rq7V1S5VPbn8FzeQKC8ZdaTspmh1YgKgo1Qp', addr: '/ip4/192.168.1.31/tcp/4001', found: 'mdns', latency_ms: 3, agent: null, account: ADA, name: 'Ada' },
      { peer_id: '12D3KooWHk5gqyGRiWZjWKnLvzLDc3SJ3z6Ew7Cr3KzWGNqX8kQd', addr: '/ip4/203.0.113.7/tcp/4001', found: 'dialled', latency_ms: null, agent: null, account: null, name: null },
    ];
    s.feeds = [
      { account: ADA, name: 'Ada', changes: 1280, peers: 2, last_sync: Date.now() - 5 * 60_000, in_progress: true, received: 412, expected: 960 },
      { account: BOB, name: 'Bob', changes: 1, peers: 1, last_sync: null, in_progress: false, received: 0, expected: 0 },
    ];
  });

  afterEach(() => vi.useRealTimers());

  it('lists peers with a short id, address, "on your LAN" for mDNS, and latency', async () => {
    render(People);
    const rows = await screen.findAllByTestId('peer-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('…h1YgKgo1Qp');
    expect(within(rows[0]!).getByTestId('peer-owner')).toHaveTextContent(/^Ada\s*…h1YgKgo1Qp$/);
    expect(within(rows[1]!).queryByTestId('peer-owner')).toBeNull();
    expect(rows[0]).toHaveTextContent('/ip4/192.168.1.31/tcp/4001');
    expect(rows[0]).toHaveTextContent('on your LAN');
    expect(rows[0]).toHaveTextContent('3.0 ms');
    expect(rows[1]).not.toHaveTextContent('on your LAN');
  });

  it('names a peer of the own account as another computer of yours', async () => {
    s.peers[1] = { ...s.peers[1]!, account: ME, name: 'Me' };
    render(People);
    const rows = await screen.findAllByTestId('peer-row');
    expect(within(rows[1]!).getByTestId('peer-owner')).toHaveTextContent('Your other computer');
  });

  it('shows each followed feed: changes held, peers holding it, last sync, and progress while syncing', async () => {
    render(People);
    const rows = await screen.findAllByTestId('feed-row');
    const ada = rows.find((r) => r.dataset.account === ADA)!;
    expect(ada).toHaveTextContent('1,280 changes held');
    expect(ada).toHaveTextContent('held by 2 peers');
    expect(ada).toHaveTextContent('last sync 5 minutes ago');
    const bar = within(ada).getByRole('progressbar', { name: 'Syncing Ada' });
    expect(bar).toHaveAttribute('aria-valuenow', '412');
    expect(bar).toHaveAttribute('aria-valuemax', '960');
    const bob = rows.find((r) => r.dataset.account === BOB)!;
    expect(bob).toHaveTextContent('held by 1 peer ');
    expect(bob).toHaveTextContent('last sync never');
    expect(within(bob).queryByRole('progressbar')).toBeNull();
  });

  it('says, while it lasts, that what peers send cannot be kept because of this computer (a full disk)', async () => {
    const { unmount } = render(People);
    await screen.findAllByTestId('feed-row');
    expect(screen.queryByTestId('store-failure')).toBeNull();
    unmount();

    s.storeFailure = 'the disk is full: the database could not be written; free some space and try again';
    render(People);
    const alert = await screen.findByTestId('store-failure');
    expect(alert).toHaveAttribute('role', 'alert');
    expect(alert).toHaveTextContent(
      'Kith cannot keep what your peers send until this is fixed: the disk is full: the database could not be written',
    );
  });

  it('says nothing of a last sync for the own feed, written here, until another computer of yours synced it', async () => {
    s.feeds.push({ account: ME, name: 'Me', changes: 7, peers: 1, last_sync: null, in_progress: false, received: 0, expected: 0 });
    const { unmount } = render(People);
    let own = (await screen.findAllByTestId('feed-row')).find((r) => r.dataset.account === ME)!;
    expect(own).toHaveTextContent('You');
    expect(own).toHaveTextContent('7 changes held · held by 1 peer');
    expect(own).not.toHaveTextContent('last sync');
    unmount();

    s.feeds[2]!.last_sync = Date.now() - 2 * 60_000;
    render(People);
    own = (await screen.findAllByTestId('feed-row')).find((r) => r.dataset.account === ME)!;
    expect(own).toHaveTextContent('last sync 2 minutes ago');
  });

  it('updates progress from syncProgress events', async () => {
    render(People);
    await screen.findAllByTestId('feed-row');
    backend.emit('syncProgress', { account: ADA, received: 900, expected: 960, inProgress: true });
    await waitFor(() =>
      expect(screen.getByRole('progressbar', { name: 'Syncing Ada' })).toHaveAttribute('aria-valuenow', '900'),
    );
  });

  it('refreshes every 3 seconds and on peersChanged', async () => {
    vi.useFakeTimers();
    render(People);
    await vi.waitFor(() => expect(commands.peers).toHaveBeenCalledTimes(1));
    await vi.advanceTimersByTimeAsync(3000);
    expect(commands.peers).toHaveBeenCalledTimes(2);
    backend.emit('peersChanged', { connected: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(commands.peers).toHaveBeenCalledTimes(3);
  });

  it('connects to a multiaddr and refuses text that is not one', async () => {
    render(People);
    const input = screen.getByTestId('connect-input');
    await fireEvent.input(input, { target: { value: '192.168.1.20:4001' } });
    await fireEvent.click(screen.getByTestId('connect-button'));
    expect(screen.getByRole('alert')).toHaveTextContent('isn’t a multiaddr');
    expect(commands.connect).not.toHaveBeenCalled();

    await fireEvent.input(input, { target: { value: '/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWnew' } });
    await fireEvent.click(screen.getByTestId('connect-button'));
    expect(commands.connect).toHaveBeenCalledWith('/ip4/192.168.1.20/tcp/4001/p2p/12D3KooWnew');
    await waitFor(() => expect(screen.getAllByTestId('peer-row')).toHaveLength(3));
  });
  describe('on your LAN', () => {
    const NEAR = '12D3KooWDx4h7TnB2cRk9LmQ3vWy6sE8fJ1aZp5gN0uXoC7iHbYe';

    it('lists each peer mDNS found with its state, and why a dial failed', async () => {
      s.lan = {
        enabled: true,
        peers: [
          { peer_id: '12D3KooWQm3BpDy7rq7V1S5VPbn8FzeQKC8ZdaTspmh1YgKgo1Qp', addrs: ['/ip4/192.168.1.31/tcp/4001'], state: 'connected', error: null, account: ADA, name: 'Ada' },
          { peer_id: NEAR, addrs: ['/ip4/192.168.1.40/tcp/4001'], state: 'unreachable', error: 'Connection refused (os error 111)', account: null, name: null },
        ],
      };
      render(People);
      const rows = await screen.findAllByTestId('lan-row');
      expect(rows).toHaveLength(2);
      expect(rows[0]).toHaveTextContent('connected');
      expect(within(rows[0]!).getByTestId('peer-owner')).toHaveTextContent('Ada');
      expect(within(rows[0]!).queryByRole('button')).toBeNull();
      expect(rows[1]).toHaveTextContent('/ip4/192.168.1.40/tcp/4001');
      expect(rows[1]).toHaveTextContent('couldn’t connect');
      expect(rows[1]).toHaveTextContent('Connection refused (os error 111)');
      expect(within(rows[1]!).getByRole('button', { name: /Try connecting to …/ })).toBeEnabled();
    });

    it('"Try again" dials each announced address with the peer id until one answers', async () => {
      s.lan = {
        enabled: true,
        peers: [
          { peer_id: NEAR, addrs: ['/ip4/10.9.9.9/tcp/4001', '/ip4/192.168.1.40/tcp/4001'], state: 'unreachable', error: 'timeout', account: null, name: null },
        ],
      };
      vi.mocked(commands.connect).mockResolvedValueOnce({ status: 'error', error: { code: 'unreachable', message: 'timeout' } });
      render(People);
      const row = await screen.findByTestId('lan-row');
      await fireEvent.click(within(row).getByRole('button', { name: /Try connecting/ }));
      await waitFor(() => expect(screen.getByTestId('lan-row')).toHaveAttribute('data-state', 'connected'));
      expect(commands.connect).toHaveBeenNthCalledWith(1, `/ip4/10.9.9.9/tcp/4001/p2p/${NEAR}`);
      expect(commands.connect).toHaveBeenNthCalledWith(2, `/ip4/192.168.1.40/tcp/4001/p2p/${NEAR}`);
    });

    it('says when none was found, and when looking is off, with the way to Settings', async () => {
      const { unmount } = render(People);
      expect(await screen.findByText(/No other Kith found on this network yet/)).toBeInTheDocument();
      unmount();

      s.lan = { enabled: false, peers: [] };
      s.settings.mdns = false;
      const off = render(People);
      expect(await screen.findByText(/Looking for peers on your LAN is off/)).toBeInTheDocument();
      expect(screen.getByRole('button', { name: 'Turn it on in Settings' })).toBeInTheDocument();
      off.unmount();

      // On in Settings, but it could not start.
      s.settings.mdns = true;
      render(People);
      expect(await screen.findByText(/on in Settings but could not start here/)).toBeInTheDocument();
      expect(screen.queryByRole('button', { name: 'Turn it on in Settings' })).toBeNull();
      expect(screen.getByRole('button', { name: 'Save Settings to try again' })).toBeInTheDocument();
    });
  });
});
