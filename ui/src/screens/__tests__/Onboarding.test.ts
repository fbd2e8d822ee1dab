import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { backend, commands } from '../../test/fake-bindings';
import { WORDS } from '../../dev/fake-backend';
import { decodingRefusesBrokenFiles, file } from '../../test/helpers';
import Onboarding from '../Onboarding.svelte';

async function type(testid: string, value: string): Promise<void> {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

async function createUpToConfirmation(onDone = vi.fn()): Promise<ReturnType<typeof vi.fn>> {
  render(Onboarding, { onDone });
  await fireEvent.click(screen.getByTestId('onboarding-create'));
  await type('name-input', 'Ada');
  await type('passphrase-input', 'correct horse');
  await type('passphrase-confirm-input', 'correct horse');
  await fireEvent.click(screen.getByTestId('create-account-button'));
  await screen.findByTestId('recovery-phrase');
  return onDone;
}

function confirmInputs(): HTMLInputElement[] {
  return screen.getAllByTestId('confirm-word-input') as HTMLInputElement[];
}

describe('Onboarding', () => {
  beforeEach(() => backend.reset());

  it('refuses a short or mismatched passphrase before creating anything', async () => {
    render(Onboarding, { onDone: vi.fn() });
    await fireEvent.click(screen.getByTestId('onboarding-create'));
    await type('name-input', 'Ada');
    await type('passphrase-input', 'short');
    await type('passphrase-confirm-input', 'short');
    await fireEvent.click(screen.getByTestId('create-account-button'));
    expect(screen.getByRole('alert')).toHaveTextContent('at least 8 characters');
    await type('passphrase-input', 'long enough 1');
    await type('passphrase-confirm-input', 'long enough 2');
    await fireEvent.click(screen.getByTestId('create-account-button'));
    expect(screen.getByRole('alert')).toHaveTextContent('do not match');
    expect(commands.createAccount).not.toHaveBeenCalled();
  });

  it('creates the account, then shows the 24 words numbered and in order', async () => {
    await createUpToConfirmation();
    expect(commands.createAccount).toHaveBeenCalledWith('Ada', 'correct horse');
    const words = screen.getAllByTestId('recovery-word').map((w) => w.textContent);
    expect(words).toEqual(WORDS);
    expect(screen.getByTestId('recovery-phrase')).toHaveTextContent(/1\s*abandon/);
    expect(screen.getByText(/Write these 24 words on paper/)).toBeInTheDocument();
  });

  it('shows the initials on grey until the account exists, not a colour the account will not have', async () => {
    const { container } = render(Onboarding, { onDone: vi.fn() });
    await fireEvent.click(screen.getByTestId('onboarding-create'));
    await type('name-input', 'Ada Lovelace');
    const avatar = container.querySelector<HTMLElement>('.avatar');
    expect(avatar).toHaveTextContent('AL');
    expect(avatar).toHaveClass('unknown');
    // The colour comes from the account id, which creating the account makes.
    expect(avatar?.style.getPropertyValue('--hue')).toBe('');
  });

  it('sends the chosen avatar with setProfile after createAccount', async () => {
    render(Onboarding, { onDone: vi.fn() });
    await fireEvent.click(screen.getByTestId('onboarding-create'));
    await type('name-input', 'Ada');
    await fireEvent.change(screen.getByLabelText('Add a picture (optional)'), {
      target: { files: [new File(['hi!'], 'me.png', { type: 'image/png' })] },
    });
    await type('passphrase-input', 'correct horse');
    await type('passphrase-confirm-input', 'correct horse');
    await fireEvent.click(screen.getByTestId('create-account-button'));
    await screen.findByTestId('recovery-phrase');
    expect(commands.setProfile).toHaveBeenCalledWith({ name: null, bio: null, avatar: { name: 'me.png', base64: 'aGkh' } });
    expect(commands.createAccount.mock.invocationCallOrder[0]).toBeLessThan(
      commands.setProfile.mock.invocationCallOrder[0] ?? 0,
    );
  });

  it('refuses an avatar over 8 MiB', async () => {
    render(Onboarding, { onDone: vi.fn() });
    await fireEvent.click(screen.getByTestId('onboarding-create'));
    await fireEvent.change(screen.getByLabelText('Add a picture (optional)'), {
      target: { files: [file('big.png', 9 * 1024 * 1024)] },
    });
    expect(screen.getByRole('alert')).toHaveTextContent('larger than 8 MiB');
  });

  it('refuses an avatar that does not decode and creates the account without it', async () => {
    const undo = decodingRefusesBrokenFiles();
    try {
      render(Onboarding, { onDone: vi.fn() });
      await fireEvent.click(screen.getByTestId('onboarding-create'));
      await type('name-input', 'Ada');
      await fireEvent.change(screen.getByLabelText('Add a picture (optional)'), {
        target: { files: [file('broken.png', 10)] },
      });
      await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('“broken.png” cannot be shown'));
      await type('passphrase-input', 'correct horse');
      await type('passphrase-confirm-input', 'correct horse');
      await fireEvent.click(screen.getByTestId('create-account-button'));
      await screen.findByTestId('recovery-phrase');
      expect(commands.setProfile).not.toHaveBeenCalled();
    } finally {
      undo();
    }
  });

  it('waits for a picture still being checked before creating the account, and stops when it is refused', async () => {
    const undo = decodingRefusesBrokenFiles();
    try {
      render(Onboarding, { onDone: vi.fn() });
      await fireEvent.click(screen.getByTestId('onboarding-create'));
      await type('name-input', 'Ada');
      await type('passphrase-input', 'correct horse');
      await type('passphrase-confirm-input', 'correct horse');
      await fireEvent.change(screen.getByLabelText('Add a picture (optional)'), {
        target: { files: [file('broken.png', 10)] },
      });
      await fireEvent.click(screen.getByTestId('create-account-button'));
      await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('“broken.png” cannot be shown'));
      expect(commands.createAccount).not.toHaveBeenCalled();
    } finally {
      undo();
    }
  });

  it('asks for 3 distinct word positions and rejects a wrong word with a clear error', async () => {
    const onDone = await createUpToConfirmation();
    await fireEvent.click(screen.getByTestId('phrase-saved-button'));
    const inputs = confirmInputs();
    expect(inputs).toHaveLength(3);
    const positions = inputs.map((i) => Number(i.dataset.position));
    expect(new Set(positions).size).toBe(3);
    expect(positions.every((p) => p >= 1 && p <= 24)).toBe(true);

    const [first, second, third] = inputs as [HTMLInputElement, HTMLInputElement, HTMLInputElement];
    const [p1, p2, p3] = positions as [number, number, number];
    await fireEvent.input(first, { target: { value: WORDS[p1 - 1] } });
    await fireEvent.input(second, { target: { value: 'wrongword' } });
    await fireEvent.input(third, { target: { value: WORDS[p3 - 1] } });
    await fireEvent.click(screen.getByTestId('confirm-phrase-button'));

    expect(screen.getByRole('alert')).toHaveTextContent(`Word #${p2} doesn’t match`);
    expect(second).toHaveAttribute('aria-invalid', 'true');
    expect(first).toHaveAttribute('aria-invalid', 'false');
    expect(onDone).not.toHaveBeenCalled();
  });

  it('goes to the app only once the right words are typed (any case)', async () => {
    const onDone = await createUpToConfirmation();
    await fireEvent.click(screen.getByTestId('phrase-saved-button'));
    for (const input of confirmInputs()) {
      const word = WORDS[Number(input.dataset.position) - 1] ?? '';
      await fireEvent.input(input, { target: { value: ` ${word.toUpperCase()} ` } });
    }
    await fireEvent.click(screen.getByTestId('confirm-phrase-button'));
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it('can show the phrase again from the confirmation step', async () => {
    await createUpToConfirmation();
    await fireEvent.click(screen.getByTestId('phrase-saved-button'));
    await fireEvent.click(screen.getByRole('button', { name: 'Show the phrase again' }));
    expect(screen.getAllByTestId('recovery-word')).toHaveLength(24);
  });

  it('restores from a pasted phrase and a new passphrase', async () => {
    const onDone = vi.fn();
    render(Onboarding, { onDone });
    await fireEvent.click(screen.getByTestId('onboarding-restore'));
    await type('restore-phrase-input', WORDS.map((w, i) => `${i + 1}. ${w}`).join('\n'));
    await type('passphrase-input', 'new passphrase');
    await type('passphrase-confirm-input', 'new passphrase');
    await fireEvent.click(screen.getByTestId('restore-account-button'));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(commands.restoreAccount).toHaveBeenCalledWith(WORDS.join(' '), 'new passphrase');
  });

  it('shows why a restore failed', async () => {
    render(Onboarding, { onDone: vi.fn() });
    await fireEvent.click(screen.getByTestId('onboarding-restore'));
    await type('restore-phrase-input', 'too few words');
    await type('passphrase-input', 'new passphrase');
    await type('passphrase-confirm-input', 'new passphrase');
    await fireEvent.click(screen.getByTestId('restore-account-button'));
    expect(screen.getByRole('alert')).toHaveTextContent('has 24 words; this has 3');

    const wrong = [...WORDS].reverse().join(' ');
    await type('restore-phrase-input', wrong);
    await fireEvent.click(screen.getByTestId('restore-account-button'));
    expect(await screen.findByText('This recovery phrase is not valid.')).toBeInTheDocument();
  });
});
