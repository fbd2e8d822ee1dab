import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

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
});
