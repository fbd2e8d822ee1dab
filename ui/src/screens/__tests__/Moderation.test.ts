import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { fakeListId, type FakeState } from '../../dev/fake-backend';
import { commands } from '../../test/fake-bindings';
import { ADA, addList, BOB, CAROL, entry, ME, useReadyAccount } from '../../test/helpers';
import { moderation } from '$lib/moderation.svelte';
import { router } from '$lib/router.svelte';
import { toasts } from '$lib/toasts.svelte';
import Moderation from '../Moderation.svelte';

let s: FakeState;

const messages = (): string[] => toasts.items.map((t) => t.message);

function section(name: string): HTMLElement {
  return screen.getByRole('region', { name });
}

describe('Moderation screen', () => {
  beforeEach(() => {
    s = useReadyAccount();
    moderation.reset();
    toasts.clear();
    router.reset();
  });

  it('lists blocked and muted accounts and ends a block or mute', async () => {
    s.blocks = [{ target: ADA, name: null, public: true, since: Date.now() - 3_600_000 }];
    s.mutes = [{ target: BOB, name: null, public: false, since: Date.now() }];
    render(Moderation);
    const blocks = await screen.findByRole('region', { name: 'Blocked accounts' });
    const row = within(blocks).getByTestId('block-row');
    expect(row).toHaveTextContent('Ada');
    expect(row).toHaveTextContent('Public: recorded in your feed');
    expect(within(section('Muted accounts')).getByTestId('mute-row')).toHaveTextContent('Only on this computer');

    await fireEvent.click(within(blocks).getByRole('button', { name: 'Unblock Ada' }));
    expect(commands.unblock).toHaveBeenCalledWith(ADA);
    await waitFor(() => expect(within(section('Blocked accounts')).getByText('You block no one.')).toBeInTheDocument());

    await fireEvent.click(within(section('Muted accounts')).getByRole('button', { name: 'Unmute Bob' }));
    expect(commands.unmute).toHaveBeenCalledWith(BOB);
    await waitFor(() => expect(within(section('Muted accounts')).queryByTestId('mute-row')).toBeNull());
  });

  it('moves the focus to the next row when one is removed, to the one before at the end, then to the section', async () => {
    s.accounts.set(CAROL, { account: CAROL, name: 'Carol', bio: null, avatar: null });
    s.blocks = [ADA, BOB, CAROL].map((target, i) => ({ target, name: null, public: false, since: Date.now() - i }));
    render(Moderation);
    const blocks = await screen.findByRole('region', { name: 'Blocked accounts' });
    const unblock = (name: string): HTMLElement => within(section('Blocked accounts')).getByRole('button', { name: `Unblock ${name}` });
    const press = async (name: string): Promise<void> => {
      const button = unblock(name);
      button.focus();
      await fireEvent.click(button);
      await waitFor(() => expect(within(section('Blocked accounts')).queryByRole('button', { name: `Unblock ${name}` })).toBeNull());
    };
    expect(within(blocks).getAllByTestId('block-row')).toHaveLength(3);
    await press('Ada');
    await waitFor(() => expect(document.activeElement).toBe(unblock('Bob')));
    await press('Carol');
    await waitFor(() => expect(document.activeElement).toBe(unblock('Bob')));
    await press('Bob');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('heading', { name: 'Blocked accounts' })));
  });

  it('mutes a word, publicly when ticked, and removes it', async () => {
    render(Moderation);
    const words = await screen.findByRole('region', { name: 'Muted words' });
    await fireEvent.input(within(words).getByLabelText('Word or #hashtag'), { target: { value: ' #Crypto ' } });
    await fireEvent.click(within(words).getByRole('checkbox', { name: 'Public' }));
    await fireEvent.click(within(words).getByRole('button', { name: 'Mute word' }));
    expect(commands.muteWord).toHaveBeenCalledWith('#Crypto', true);
    const row = await within(words).findByTestId('word-row');
    expect(row).toHaveTextContent('#crypto');
    expect(row).toHaveTextContent('Public');
    expect(within(words).getByLabelText('Word or #hashtag')).toHaveValue('');
    expect(messages()).toContain('Muted “#crypto”, publicly');

    await fireEvent.click(within(words).getByRole('button', { name: 'Stop muting “#crypto”' }));
    expect(commands.unmuteWord).toHaveBeenCalledWith('#crypto');
    await waitFor(() => expect(within(words).queryByTestId('word-row')).toBeNull());
  });

  it('shows the ApiError message when muting a word fails', async () => {
    render(Moderation);
    const words = await screen.findByRole('region', { name: 'Muted words' });
    await fireEvent.input(within(words).getByLabelText('Word or #hashtag'), { target: { value: 'two words' } });
    await fireEvent.click(within(words).getByRole('button', { name: 'Mute word' }));
    await waitFor(() =>
      expect(messages()).toContain('a muted word is one lower-case word or #hashtag, without spaces'),
    );
    expect(within(words).getByLabelText('Word or #hashtag')).toHaveValue('two words');
  });

  it('saves a Hide / Warn / Ignore choice per label with subscribeList', async () => {
    const list = addList(s, 'Spam watch', {
      entries: [entry(ADA, ['spam'])],
      subscribe: { hide: ['spam'], warn: ['misleading'] },
    });
    render(Moderation);
    const sub = await screen.findByTestId('subscription');
    expect(sub).toHaveTextContent('Spam watch');
    expect(sub).toHaveTextContent('by Carol · 1 entry');
    const group = (label: string): HTMLElement => within(sub).getByRole('radiogroup', { name: label });
    expect(within(group('Spam')).getByRole('radio', { name: 'Hide' })).toBeChecked();
    expect(within(group('Misleading')).getByRole('radio', { name: 'Warn' })).toBeChecked();
    expect(within(group('Violence')).getByRole('radio', { name: 'Ignore' })).toBeChecked();
    const save = within(sub).getByRole('button', { name: 'Save choices' });
    expect(save).toBeDisabled();

    await fireEvent.click(within(group('Spam')).getByRole('radio', { name: 'Warn' }));
    await fireEvent.click(within(group('Violence')).getByRole('radio', { name: 'Hide' }));
    await fireEvent.click(within(group('Sexual content')).getByRole('radio', { name: 'Hide' }));
    expect(save).toBeEnabled();
    await fireEvent.click(save);
    expect(commands.subscribeList).toHaveBeenCalledWith(list, ['violence', 'sexual'], ['spam', 'misleading']);
    await waitFor(() => expect(messages()).toContain('Saved your choices for “Spam watch”'));
    expect(s.subscriptions[0]).toEqual({ list, hide: ['violence', 'sexual'], warn: ['spam', 'misleading'] });
    await waitFor(() => expect(within(screen.getByTestId('subscription')).getByRole('button', { name: 'Save choices' })).toBeDisabled());
  });

  it('subscribes by pasting a list id, and says when the list has not arrived yet', async () => {
    render(Moderation);
    const subs = await screen.findByRole('region', { name: 'Subscribed lists' });
    const input = within(subs).getByLabelText('List id');
    await fireEvent.input(input, { target: { value: 'kith1notalist' } });
    await fireEvent.click(within(subs).getByRole('button', { name: 'Subscribe' }));
    expect(within(subs).getByRole('alert')).toHaveTextContent('List ids start with kithlist1');
    expect(commands.subscribeList).not.toHaveBeenCalled();

    const id = fakeListId('far away');
    await fireEvent.input(input, { target: { value: ` ${id} ` } });
    await fireEvent.click(within(subs).getByRole('button', { name: 'Subscribe' }));
    expect(commands.subscribeList).toHaveBeenCalledWith(
      id,
      [],
      ['spam', 'harassment', 'violence', 'sexual', 'misleading', 'other'],
    );
    const card = await within(subs).findByTestId('subscription');
    expect(card).toHaveTextContent('Waiting for the list to arrive');
    expect(input).toHaveValue('');
  });

  it('unsubscribes after a confirmation', async () => {
    const list = addList(s, 'Spam watch', { subscribe: { hide: [], warn: ['spam'] } });
    render(Moderation);
    await fireEvent.click(within(await screen.findByTestId('subscription')).getByRole('button', { name: 'Unsubscribe' }));
    await fireEvent.click(
      within(screen.getByRole('alertdialog', { name: 'Unsubscribe from “Spam watch”?' })).getByRole('button', {
        name: 'Unsubscribe',
      }),
    );
    expect(commands.unsubscribeList).toHaveBeenCalledWith(list);
    await waitFor(() => expect(screen.queryByTestId('subscription')).toBeNull());
  });

  it('creates a list, shows its id to share, adds and removes entries', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(Moderation);
    const mine = await screen.findByRole('region', { name: 'My lists' });
    await fireEvent.input(within(mine).getByLabelText('New list name'), { target: { value: 'Tea room rules' } });
    await fireEvent.click(within(mine).getByRole('button', { name: /Create list/ }));
    expect(commands.createList).toHaveBeenCalledWith('Tea room rules');

    // The new list opens with its id and an empty entry list.
    const card = await within(mine).findByTestId('own-list');
    const id = s.lists[0]!.id;
    await waitFor(() => expect(within(card).getByTestId('list-id')).toHaveTextContent(id));
    await fireEvent.click(within(card).getByRole('button', { name: 'Copy list id' }));
    expect(writeText).toHaveBeenCalledWith(id);

    const target = within(card).getByLabelText('Account or post id');
    await fireEvent.input(target, { target: { value: 'not an id' } });
    await fireEvent.click(within(card).getByRole('checkbox', { name: 'Spam' }));
    await fireEvent.click(within(card).getByRole('button', { name: 'Add entry' }));
    expect(within(card).getByRole('alert')).toHaveTextContent('Paste an account id');
    expect(commands.listAdd).not.toHaveBeenCalled();

    await fireEvent.input(target, { target: { value: ADA } });
    await fireEvent.input(within(card).getByLabelText('Reason (optional)'), { target: { value: 'adverts' } });
    await fireEvent.click(within(card).getByRole('button', { name: 'Add entry' }));
    expect(commands.listAdd).toHaveBeenCalledWith(id, ADA, ['spam'], 'adverts');
    const row = await within(card).findByTestId('list-entry');
    expect(row).toHaveTextContent('Ada');
    expect(row).toHaveTextContent('Spam');
    expect(row).toHaveTextContent('adverts');
    await waitFor(() => expect(card).toHaveTextContent('1 entry'));

    await fireEvent.click(within(row).getByRole('button', { name: 'Remove Ada from the list' }));
    expect(commands.listRemove).toHaveBeenCalledWith(id, ADA);
    await waitFor(() => expect(within(card).queryByTestId('list-entry')).toBeNull());
  });

  it('saves the replication policy and refuses a peer rate under 1', async () => {
    render(Moderation);
    const policy = await screen.findByRole('region', { name: 'Replication policy' });
    const save = within(policy).getByRole('button', { name: 'Save policy' });
    expect(within(policy).getByRole('radio', { name: /People you follow/ })).toBeChecked();
    expect(save).toBeDisabled();

    const rate = within(policy).getByLabelText('Changes one peer may push per minute');
    expect(rate).toHaveValue(1200);
    await fireEvent.input(rate, { target: { value: '0' } });
    expect(within(policy).getByRole('alert')).toHaveTextContent('at least 1');
    expect(save).toBeDisabled();

    await fireEvent.input(rate, { target: { value: '300' } });
    await fireEvent.click(within(policy).getByRole('radio', { name: /Also the people they follow/ }));
    await fireEvent.click(save);
    expect(commands.setPolicy).toHaveBeenCalledWith('follows-of-follows', 300);
    await waitFor(() => expect(messages()).toContain('Replication policy saved'));
    expect(s.policy).toEqual({ scope: 'follows-of-follows', peer_rate: 300 });
  });

  it('links to the reports with the open count', async () => {
    const list = addList(s, 'Tea room rules', { owner: ME });
    s.inbox = [1, 2].map((i) => ({
      id: `r${i}`,
      list,
      list_name: 'Tea room rules',
      reporter: BOB,
      reporter_name: 'Bob',
      target: ADA,
      labels: ['spam'],
      text: '',
      created_at: Date.now(),
      status: 'open',
    }));
    render(Moderation);
    const link = await screen.findByTestId('reports-link');
    expect(link).toHaveTextContent('2');
    expect(section('Reports')).toHaveTextContent('2 open reports to your lists.');
    await fireEvent.click(link);
    expect(router.current).toEqual({ name: 'reports' });
  });

  it('shows why the overview could not load, with a retry', async () => {
    commands.moderation.mockResolvedValueOnce({ status: 'error', error: { code: 'locked', message: 'Kith is locked.' } });
    render(Moderation);
    expect(await screen.findByRole('alert')).toHaveTextContent('Kith is locked.');
    await fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('region', { name: 'Blocked accounts' })).toBeInTheDocument();
  });
});
