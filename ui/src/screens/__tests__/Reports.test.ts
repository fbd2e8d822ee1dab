import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import type { FakeState } from '../../dev/fake-backend';
import type { ReportView } from '../../lib/bindings';
import { commands } from '../../test/fake-bindings';
import { ADA, addList, BOB, CAROL, ME, useReadyAccount } from '../../test/helpers';
import { moderation } from '$lib/moderation.svelte';
import { router } from '$lib/router.svelte';
import { toasts } from '$lib/toasts.svelte';
import Reports from '../Reports.svelte';

let s: FakeState;
let list: string;

function report(p: Partial<ReportView> & { id: string }): ReportView {
  return {
    list,
    list_name: 'Tea room rules',
    reporter: BOB,
    reporter_name: 'Bob',
    target: ADA,
    labels: ['spam'],
    text: '',
    created_at: Date.now() - 60_000,
    status: 'open',
    ...p,
  };
}

describe('Reports screen', () => {
  beforeEach(() => {
    s = useReadyAccount();
    moderation.reset();
    toasts.clear();
    router.reset();
    list = addList(s, 'Tea room rules', { owner: ME });
  });

  it('lists open reports with who, what, labels and words', async () => {
    s.inbox = [
      report({ id: 'r1', labels: ['spam', 'misleading'], text: 'Same link everywhere.' }),
      report({ id: 'r2', status: 'dismissed' }),
    ];
    render(Reports);
    const rows = await screen.findAllByTestId('report');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent('Bob reported');
    expect(rows[0]).toHaveTextContent('to “Tea room rules”');
    expect(rows[0]).toHaveTextContent('Spam, Misleading');
    expect(rows[0]).toHaveTextContent('Same link everywhere.');
    expect(rows[0]).toHaveTextContent('Open');
    expect(commands.reports).toHaveBeenCalledWith(false);
  });

  it('accepts a report: the target joins the list with its labels and words', async () => {
    s.inbox = [report({ id: 'r1', labels: ['harassment'], text: 'Name-calling.' })];
    render(Reports);
    const row = await screen.findByTestId('report');
    await fireEvent.click(within(row).getByRole('button', { name: /^Accept: add .* to “Tea room rules”$/ }));
    expect(commands.resolveReport).toHaveBeenCalledWith('r1', true);
    await waitFor(() => expect(row).toHaveTextContent('Accepted: added to the list'));
    expect(within(row).queryByRole('button', { name: /Accept/ })).toBeNull();
    expect(toasts.items.map((t) => t.message)).toContain('Accepted: added to “Tea room rules”');
    expect(s.lists[0]?.entries).toEqual([
      expect.objectContaining({ target: ADA, labels: ['harassment'], reason: 'Name-calling.' }),
    ]);
  });

  it('dismisses a report without touching the list', async () => {
    s.inbox = [report({ id: 'r1' })];
    render(Reports);
    const row = await screen.findByTestId('report');
    await fireEvent.click(within(row).getByRole('button', { name: /^Dismiss/ }));
    expect(commands.resolveReport).toHaveBeenCalledWith('r1', false);
    await waitFor(() => expect(row).toHaveAttribute('data-status', 'dismissed'));
    expect(row).toHaveTextContent('Dismissed');
    expect(s.lists[0]?.entries).toEqual([]);
  });

  it('shows handled reports on request', async () => {
    s.inbox = [report({ id: 'r1' }), report({ id: 'r2', status: 'accepted', created_at: Date.now() - 120_000 })];
    render(Reports);
    expect(await screen.findAllByTestId('report')).toHaveLength(1);
    await fireEvent.click(screen.getByRole('checkbox', { name: 'Show handled reports' }));
    expect(commands.reports).toHaveBeenLastCalledWith(true);
    await waitFor(() => expect(screen.getAllByTestId('report')).toHaveLength(2));
    expect(screen.getAllByTestId('report')[1]).toHaveTextContent('Accepted');
  });

  it('shows the reports sent with their delivery state', async () => {
    const other = addList(s, 'Spam watch', { owner: CAROL });
    s.outbox = [
      report({ id: 's1', list: other, list_name: 'Spam watch', reporter: ME, status: 'queued' }),
      report({ id: 's2', list: other, list_name: null, reporter: ME, status: 'delivered', created_at: 1 }),
    ];
    render(Reports);
    const rows = await screen.findAllByTestId('sent-report');
    expect(rows[0]).toHaveTextContent('You reported');
    expect(rows[0]).toHaveTextContent('to “Spam watch”');
    expect(rows[0]).toHaveTextContent('Queued: sent when the maintainer’s computer is reachable');
    expect(rows[1]).toHaveTextContent('Delivered');
    expect(rows[1]).toHaveTextContent('a list that hasn’t arrived yet');
  });

  it('shows the error of a failed accept and keeps the report open', async () => {
    s.inbox = [report({ id: 'r1' })];
    commands.resolveReport.mockResolvedValueOnce({ status: 'error', error: { code: 'io', message: 'Could not write the entry.' } });
    render(Reports);
    const row = await screen.findByTestId('report');
    await fireEvent.click(within(row).getByRole('button', { name: /^Accept/ }));
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('Could not write the entry.'));
    expect(row).toHaveAttribute('data-status', 'open');
  });

  it('says so when the user maintains no list', async () => {
    s.lists = [];
    render(Reports);
    await waitFor(() => expect(screen.getByTestId('inbox-empty')).toHaveTextContent('You maintain no list'));
  });
});
