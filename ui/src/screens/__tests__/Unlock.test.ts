import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { WORDS } from '../../dev/fake-backend';
import { backend, commands } from '../../test/fake-bindings';
import { readyState } from '../../test/helpers';
import Unlock from '../Unlock.svelte';

describe('Unlock', () => {
  beforeEach(() => {
    const s = readyState();
    s.phase = 'locked';
    backend.reset(s);
  });

  it('shows the message of a wrong passphrase and stays locked', async () => {
    const onDone = vi.fn();
    render(Unlock, { onDone });
    await fireEvent.input(screen.getByTestId('unlock-input'), { target: { value: 'nope nope' } });
    await fireEvent.click(screen.getByTestId('unlock-button'));
    expect(await screen.findByRole('alert')).toHaveTextContent('That passphrase does not open this account.');
    expect(screen.getByTestId('unlock-input')).toHaveAttribute('aria-invalid', 'true');
    expect(onDone).not.toHaveBeenCalled();
  });

  it('unlocks with the right passphrase', async () => {
    const onDone = vi.fn();
    render(Unlock, { onDone });
    await fireEvent.input(screen.getByTestId('unlock-input'), { target: { value: 'correct horse' } });
    await fireEvent.click(screen.getByTestId('unlock-button'));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(commands.unlock).toHaveBeenCalledWith('correct horse');
    expect(document.documentElement.dataset.ready).toBe('true');
  });

  it('sets a new passphrase with the recovery phrase when the old one is forgotten, then opens', async () => {
    const onDone = vi.fn();
    render(Unlock, { onDone });
    await fireEvent.click(screen.getByTestId('forgot-passphrase'));
    const phrase = screen.getByTestId('reset-phrase-input');
    expect(phrase).toHaveFocus();
    await fireEvent.input(phrase, { target: { value: WORDS.slice(0, 23).join(' ') } });
    await fireEvent.input(screen.getByTestId('reset-passphrase-input'), { target: { value: 'brand new one' } });
    await fireEvent.input(screen.getByTestId('reset-passphrase-confirm-input'), { target: { value: 'brand new one' } });
    await fireEvent.click(screen.getByTestId('reset-passphrase-button'));
    expect(screen.getByRole('alert')).toHaveTextContent('has 24 words; this has 23');
    expect(commands.resetPassphrase).not.toHaveBeenCalled();

    // Numbered as written on paper: the numbers are dropped.
    const numbered = WORDS.map((w, i) => `${i + 1}. ${w}`).join('\n');
    await fireEvent.input(phrase, { target: { value: numbered } });
    await fireEvent.click(screen.getByTestId('reset-passphrase-button'));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(commands.resetPassphrase).toHaveBeenCalledWith(WORDS.join(' '), 'brand new one');
  });

  it('says so when the recovery phrase is of another account, and stays locked', async () => {
    const onDone = vi.fn();
    render(Unlock, { onDone });
    await fireEvent.click(screen.getByTestId('forgot-passphrase'));
    const other = [...WORDS].reverse().join(' ');
    await fireEvent.input(screen.getByTestId('reset-phrase-input'), { target: { value: other } });
    await fireEvent.input(screen.getByTestId('reset-passphrase-input'), { target: { value: 'brand new one' } });
    await fireEvent.input(screen.getByTestId('reset-passphrase-confirm-input'), { target: { value: 'brand new one' } });
    await fireEvent.click(screen.getByTestId('reset-passphrase-button'));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'These words are the recovery phrase of another account, not of the one on this computer.',
    );
    expect(onDone).not.toHaveBeenCalled();
    // Back: the passphrase form again.
    await fireEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(screen.getByTestId('unlock-input')).toHaveFocus();
  });
});
