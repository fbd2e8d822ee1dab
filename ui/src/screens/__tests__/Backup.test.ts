import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { WORDS } from '../../dev/fake-backend';
import { backend, commands } from '../../test/fake-bindings';
import { useReadyAccount } from '../../test/helpers';
import type { AppError, Result, TransferSummary } from '$lib/bindings';
import Backup from '../Backup.svelte';

describe('Backup & USB', () => {
  beforeEach(() => {
    useReadyAccount();
  });

  it('offers the recovery phrase, the backup of the account itself', async () => {
    render(Backup);
    const section = screen.getByTestId('recovery-section');
    expect(section).toHaveTextContent('Recovery phrase');
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Show recovery phrase' }));
    const words = await screen.findAllByTestId('recovery-word');
    expect(words.map((w) => w.textContent)).toEqual(WORDS);
  });

  it('shows progress from transferProgress events, then a summary', async () => {
    let finish: (v: Result<TransferSummary | null, AppError>) => void = () => {};
    commands.exportBundle.mockReturnValueOnce(new Promise((r) => (finish = r)));
    render(Backup);
    await fireEvent.click(screen.getByRole('button', { name: /Export to file/ }));
    backend.emit('transferProgress', { phase: 'export', done: 3, total: 4 });
    const bar = await screen.findByRole('progressbar', { name: 'Export progress' });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '3'));
    expect(screen.getByText('75%')).toBeInTheDocument();

    finish({ status: 'ok', data: { path: '/media/usb/kith.bundle', feeds: 3, changes: 1234, duplicates: 0, blobs: 5 } });
    const summary = await screen.findByTestId('transfer-summary');
    expect(summary).toHaveTextContent('Exported 3 feeds: 1,234 changes, 5 images');
    expect(summary).toHaveTextContent('/media/usb/kith.bundle');
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('summarises an import with the changes already held', async () => {
    commands.importBundle.mockResolvedValueOnce({
      status: 'ok',
      data: { path: '/media/usb/kith.bundle', feeds: 2, changes: 10, duplicates: 90, blobs: 1 },
    });
    render(Backup);
    await fireEvent.click(screen.getByRole('button', { name: /Import a file/ }));
    expect(await screen.findByTestId('transfer-summary')).toHaveTextContent(
      'Imported 2 feeds: 10 new changes (90 already here), 1 image',
    );    // The bundle may hold replies and mentions: the Activity count is read again.
    await waitFor(() => expect(commands.activityUnread).toHaveBeenCalled());
  });

  it('says "cancelled" when the file dialog was dismissed (null)', async () => {
    render(Backup);
    await fireEvent.click(screen.getByRole('button', { name: /Import a file/ }));
    expect(await screen.findByText('Import cancelled.')).toBeInTheDocument();
  });
});
