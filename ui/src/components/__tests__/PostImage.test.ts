import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { backend, commands } from '../../test/fake-bindings';
import { arrivedBlobs } from '$lib/arrived.svelte';
import PostImage from '../PostImage.svelte';

const HASH = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);

describe('PostImage', () => {
  beforeEach(() => {
    arrivedBlobs.start();
    commands.imageHeld.mockResolvedValue({ status: 'ok', data: false });
  });
  afterEach(() => {
    arrivedBlobs.stop();
    commands.imageHeld.mockReset();
  });

  it('shows an image that did not load as not received yet, and loads it again once it arrives', async () => {
    render(PostImage, { hash: HASH, alt: 'Image 1 of post by Ada' });
    const first = screen.getByRole('img', { name: 'Image 1 of post by Ada' });
    expect(first.getAttribute('src')).toMatch(new RegExp(`${HASH}$`));

    await fireEvent.error(first);
    const missing = await screen.findByTestId('image-missing');
    expect(commands.imageHeld).toHaveBeenCalledWith(HASH);
    expect(missing).toHaveAccessibleName('Image 1 of post by Ada, not received yet');
    expect(missing).toHaveTextContent('Image not received yet');

    backend.emit('blobArrived', { hash: OTHER });
    await Promise.resolve();
    expect(screen.getByTestId('image-missing')).toBeInTheDocument();

    backend.emit('blobArrived', { hash: HASH });
    const again = await screen.findByRole('img', { name: 'Image 1 of post by Ada' });
    expect(screen.queryByTestId('image-missing')).toBeNull();
    expect(again.getAttribute('src')).toMatch(new RegExp(`${HASH}\\?arrived=1$`));

    await fireEvent.error(again);
    expect(await screen.findByTestId('image-missing')).toBeInTheDocument();
  });

  it('tells an image this computer holds but cannot decode apart from one not received yet', async () => {
    commands.imageHeld.mockResolvedValue({ status: 'ok', data: true });
    render(PostImage, { hash: HASH, alt: 'Image 1 of post by Ada' });
    await fireEvent.error(screen.getByRole('img', { name: 'Image 1 of post by Ada' }));

    const broken = await screen.findByTestId('image-broken');
    expect(broken).toHaveAccessibleName('Image 1 of post by Ada, cannot be shown');
    expect(broken).toHaveTextContent('This image cannot be shown');
    expect(screen.queryByTestId('image-missing')).toBeNull();
    expect(screen.queryByText('Image not received yet')).toBeNull();
  });

  it('shows an image as not received yet when whether it is held cannot be asked', async () => {
    commands.imageHeld.mockResolvedValue({ status: 'error', error: { code: 'locked', message: 'locked' } });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    render(PostImage, { hash: HASH, alt: 'Image 1 of post by Ada' });
    await fireEvent.error(screen.getByRole('img', { name: 'Image 1 of post by Ada' }));

    expect(await screen.findByTestId('image-missing')).toBeInTheDocument();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});
