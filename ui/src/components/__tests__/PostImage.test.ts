import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { backend } from '../../test/fake-bindings';
import { arrivedBlobs } from '$lib/arrived.svelte';
import PostImage from '../PostImage.svelte';

const HASH = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);

describe('PostImage', () => {
  beforeEach(() => arrivedBlobs.start());
  afterEach(() => arrivedBlobs.stop());

  it('shows an image that did not load as not received yet, and loads it again once it arrives', async () => {
    render(PostImage, { hash: HASH, alt: 'Image 1 of post by Ada' });
    const first = screen.getByRole('img', { name: 'Image 1 of post by Ada' });
    expect(first.getAttribute('src')).toMatch(new RegExp(`${HASH}$`));

    await fireEvent.error(first);
    const missing = screen.getByTestId('image-missing');
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
    expect(screen.getByTestId('image-missing')).toBeInTheDocument();
  });
});
