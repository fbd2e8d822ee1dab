import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { commands } from '../../test/fake-bindings';
import { fakeAccountId } from '../../dev/fake-backend';
import { ADA, BOB, decodingRefusesBrokenFiles, file, ME, useReadyAccount } from '../../test/helpers';

const fakeStranger = fakeAccountId('adalbert');
import { forgetAllDrafts } from '$lib/drafts';
import { loadSavedDraft } from '$lib/saveddrafts';
import { toasts } from '$lib/toasts.svelte';
import Composer from '../Composer.svelte';

function filesInput(): HTMLInputElement {
  return screen.getByLabelText('Add images', { selector: 'input' });
}

describe('Composer', () => {
  beforeEach(() => {
    useReadyAccount();
    toasts.clear();
  });

  it('refuses a fifth image with a visible error and keeps four previews', async () => {
    render(Composer);
    const five = Array.from({ length: 5 }, (_, i) => file(`p${i}.png`, 1000));
    await fireEvent.change(filesInput(), { target: { files: five } });
    expect(screen.getAllByRole('button', { name: /Remove image/ })).toHaveLength(4);
    expect(screen.getByRole('alert')).toHaveTextContent('at most 4 images');
    expect(filesInput()).toBeDisabled();
  });

  it('refuses an image larger than 8 MiB', async () => {
    render(Composer);
    await fireEvent.change(filesInput(), { target: { files: [file('huge.jpg', 8 * 1024 * 1024 + 1, 'image/jpeg')] } });
    expect(screen.queryByRole('button', { name: /Remove image/ })).toBeNull();
    expect(screen.getByRole('alert')).toHaveTextContent('“huge.jpg” is larger than 8 MiB.');
  });

  it('removes a chosen image', async () => {
    render(Composer);
    await fireEvent.change(filesInput(), { target: { files: [file('a.png', 10), file('b.png', 10)] } });
    await fireEvent.click(screen.getByRole('button', { name: 'Remove image 1' }));
    expect(screen.getAllByRole('img').map((i) => i.getAttribute('alt'))).toEqual(['Image 1: b.png, not described']);
  });

  it('publishes on Ctrl+Enter with the text, the content warning and the reply target', async () => {
    const onPosted = vi.fn();
    render(Composer, { replyTo: 'kithpost1parent', onPosted });
    const text = screen.getByTestId('composer-text');
    await fireEvent.input(text, { target: { value: 'How the film ends…' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Content warning' }));
    await fireEvent.input(screen.getByTestId('composer-cw'), { target: { value: 'spoilers' } });
    await fireEvent.keyDown(text, { key: 'Enter', ctrlKey: true });

    await waitFor(() => expect(onPosted).toHaveBeenCalled());
    expect(commands.publish).toHaveBeenCalledWith({
      text: 'How the film ends…',
      cw: 'spoilers',
      images: [],
      descriptions: [],
      replyTo: 'kithpost1parent',
      quoteOf: null,
    });
    expect(text).toHaveValue('');
    expect(toasts.items.map((t) => t.message)).toContain('Reply posted');
  });

  it('sends images as base64 ImageData and says "Posted" (delivery happens later)', async () => {
    render(Composer);
    await fireEvent.change(filesInput(), { target: { files: [new File(['hi!'], 'a.png', { type: 'image/png' })] } });
    await fireEvent.click(screen.getByTestId('composer-submit'));
    await waitFor(() => expect(commands.publish).toHaveBeenCalled());
    expect(commands.publish.mock.calls[0]?.[0]).toMatchObject({ text: null, images: [{ name: 'a.png', base64: 'aGkh' }] });
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('Posted'));
  });

  it('takes out an image that does not decode and says why before anything is posted, even when sent at once', async () => {
    const undo = decodingRefusesBrokenFiles();
    try {
      render(Composer);
      await fireEvent.input(screen.getByRole('textbox', { name: 'New post' }), { target: { value: 'Two pictures' } });
      await fireEvent.change(filesInput(), { target: { files: [file('broken.png', 10), file('fine.png', 10)] } });
      await fireEvent.click(screen.getByTestId('composer-submit'));
      await waitFor(() =>
        expect(screen.getByRole('alert')).toHaveTextContent(
          '“broken.png” cannot be shown: the file is damaged or in an image format this computer cannot read.',
        ),
      );
      expect(screen.getAllByRole('img').map((i) => i.getAttribute('alt'))).toEqual(['Image 1: fine.png, not described']);
      expect(commands.publish).not.toHaveBeenCalled();

      await waitFor(() => expect(screen.getByTestId('composer-submit')).toBeEnabled());
      await fireEvent.click(screen.getByTestId('composer-submit'));
      await waitFor(() => expect(commands.publish).toHaveBeenCalled());
      expect(commands.publish.mock.calls[0]?.[0].images.map((i) => i.name)).toEqual(['fine.png']);
    } finally {
      undo();
    }
  });

  it('does not send an image-only post whose one image turns out not to decode while it waits', async () => {
    const undo = decodingRefusesBrokenFiles();
    try {
      render(Composer);
      await fireEvent.change(filesInput(), { target: { files: [file('broken.png', 10)] } });
      // Sent before the check answers (it takes 30 ms here).
      await fireEvent.keyDown(screen.getByRole('textbox', { name: 'New post' }), { key: 'Enter', ctrlKey: true });
      await new Promise((r) => setTimeout(r, 150));
      expect(commands.publish).not.toHaveBeenCalled();
      expect(screen.queryByRole('button', { name: /Remove image/ })).toBeNull();
      expect(screen.getByRole('alert')).toHaveTextContent('“broken.png” cannot be shown');
    } finally {
      undo();
    }
  });

  it('checks the images of a draft it is given back, even one closed while its check ran', async () => {
    const undo = decodingRefusesBrokenFiles();
    try {
      const first = render(Composer);
      await fireEvent.change(filesInput(), { target: { files: [file('fine.png', 10), file('broken.png', 10)] } });
      first.unmount(); // closed before the checks answer: the draft keeps both
      await new Promise((r) => setTimeout(r, 100));
      cleanup();
      render(Composer);
      await waitFor(() =>
        expect(screen.getAllByRole('img').map((i) => i.getAttribute('alt'))).toEqual(['Image 1: fine.png, not described']),
      );
      expect(screen.getByRole('alert')).toHaveTextContent('“broken.png” cannot be shown');
    } finally {
      undo();
    }
  });

  it('describes an image in a dialog and sends the description with it', async () => {
    render(Composer);
    await fireEvent.change(filesInput(), { target: { files: [file('a.png', 10), file('b.png', 10)] } });
    await fireEvent.click(screen.getByRole('button', { name: 'Describe image 2' }));
    const dialog = screen.getByRole('dialog', { name: 'Describe image 2' });
    // Shown at the end of the body, out of any card that would clip it.
    expect(dialog.parentElement?.parentElement).toBe(document.body);
    const text = within(dialog).getByLabelText('Description of image 2');
    expect(text).toHaveFocus();
    await fireEvent.input(text, { target: { value: '  A red door in the snow ' } });
    expect(dialog).toHaveTextContent('22 / 1,500 bytes');
    await fireEvent.click(within(dialog).getByTestId('describe-save'));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.querySelector('.backdrop')).toBeNull();
    const edit = screen.getByRole('button', { name: 'Edit the description of image 2' });
    expect(edit).toHaveTextContent('ALT ✓');
    expect(screen.getAllByRole('img')[1]).toHaveAttribute('alt', 'A red door in the snow');

    await fireEvent.click(screen.getByTestId('composer-submit'));
    await waitFor(() => expect(commands.publish).toHaveBeenCalled());
    expect(commands.publish.mock.calls[0]?.[0]).toMatchObject({ descriptions: ['', 'A red door in the snow'] });
  });

  it('refuses a description over 1500 bytes and keeps the old one on Cancel', async () => {
    render(Composer);
    await fireEvent.change(filesInput(), { target: { files: [file('a.png', 10)] } });
    await fireEvent.click(screen.getByRole('button', { name: 'Describe image 1' }));
    const dialog = screen.getByRole('dialog', { name: 'Describe image 1' });
    await fireEvent.input(within(dialog).getByLabelText('Description of image 1'), { target: { value: 'é'.repeat(751) } });
    expect(dialog).toHaveTextContent('at most 1,500 bytes; this one has 1,502');
    expect(within(dialog).getByTestId('describe-save')).toBeDisabled();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'Describe image 1' })).toHaveTextContent('+ ALT');
  });

  it('cannot post empty text or more than 5000 characters', async () => {
    render(Composer);
    const submit = screen.getByTestId('composer-submit');
    expect(submit).toBeDisabled();
    await fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'x'.repeat(5001) } });
    expect(submit).toBeDisabled();
    expect(screen.getByText(/5,001 \/ 5,000/)).toBeInTheDocument();
    await fireEvent.keyDown(screen.getByTestId('composer-text'), { key: 'Enter', ctrlKey: true });
    expect(commands.publish).not.toHaveBeenCalled();
  });

  it('keeps the draft and shows the error when publishing fails', async () => {
    commands.publish.mockResolvedValueOnce({ status: 'error', error: { code: 'io', message: 'Disk full' } });
    render(Composer);
    await fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'keep me' } });
    await fireEvent.click(screen.getByTestId('composer-submit'));
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('Disk full'));
    expect(screen.getByTestId('composer-text')).toHaveValue('keep me');
  });

  describe('unsent drafts', () => {
    it('gives back what was written, the warning and the images when a composer for the same thing opens again', async () => {
      const first = render(Composer);
      await fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'half a thought' } });
      await fireEvent.click(screen.getByRole('button', { name: 'Content warning' }));
      await fireEvent.input(screen.getByTestId('composer-cw'), { target: { value: 'spoilers' } });
      await fireEvent.change(filesInput(), { target: { files: [file('a.png', 1000)] } });
      first.unmount();

      render(Composer, { replyTo: 'kithpost1other' });
      expect(screen.getByTestId('composer-text')).toHaveValue('');
      cleanup();

      render(Composer);
      expect(screen.getByTestId('composer-text')).toHaveValue('half a thought');
      expect(screen.getByTestId('composer-cw')).toHaveValue('spoilers');
      expect(screen.getAllByRole('button', { name: /Remove image/ })).toHaveLength(1);
    });

    it('forgets a draft once it is posted', async () => {
      const first = render(Composer);
      await fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'sent' } });
      await fireEvent.click(screen.getByTestId('composer-submit'));
      await waitFor(() => expect(commands.publish).toHaveBeenCalled());
      await waitFor(() => expect(screen.getByTestId('composer-text')).toHaveValue(''));
      first.unmount();
      render(Composer);
      expect(screen.getByTestId('composer-text')).toHaveValue('');
    });
  });

  describe('mentions', () => {
    /** Types `value` with the caret at its end, as a person would. */
    async function type(field: HTMLTextAreaElement, value: string): Promise<void> {
      field.value = value;
      field.setSelectionRange(value.length, value.length);
      await fireEvent.input(field, { target: { value } });
    }

    it('offers people after "@", followed first, and sends the chosen one as an account id', async () => {
      const s = useReadyAccount();
      s.accounts.set(fakeStranger, { account: fakeStranger, name: 'Adalbert', bio: null, avatar: null });
      render(Composer);
      const field = screen.getByTestId('composer-text') as HTMLTextAreaElement;
      await type(field, 'Walking with @ad');
      const options = await screen.findAllByRole('option');
      const names = options.map((o) => o.querySelector('.person-name')?.textContent);
      expect(names).toEqual(['Ada', 'Adalbert']);
      expect(options[0]).toHaveTextContent('Following');
      expect(options[1]).not.toHaveTextContent('Following');
      expect(options[0]).toHaveAttribute('aria-selected', 'true');
      expect(field.getAttribute('aria-activedescendant')).toBe(options[0]?.id);

      await fireEvent.keyDown(field, { key: 'Enter' });
      expect(field.value).toBe('Walking with @Ada ');
      expect(screen.queryByRole('listbox')).toBeNull();
      await type(field, 'Walking with @Ada today');
      await fireEvent.keyDown(field, { key: 'Enter', ctrlKey: true });
      await waitFor(() => expect(commands.publish).toHaveBeenCalled());
      expect(commands.publish).toHaveBeenLastCalledWith(
        expect.objectContaining({ text: `Walking with @${ADA} today` }),
      );
    });

    it('moves through the list with the arrow keys, picks with Tab and closes with Escape', async () => {
      useReadyAccount();
      const onCancel = vi.fn();
      render(Composer, { onCancel });
      const field = screen.getByTestId('composer-text') as HTMLTextAreaElement;
      await type(field, '@');
      await screen.findAllByRole('option');
      await fireEvent.keyDown(field, { key: 'ArrowDown' });
      expect(screen.getAllByRole('option')[1]).toHaveAttribute('aria-selected', 'true');
      await fireEvent.keyDown(field, { key: 'Tab' });
      expect(field.value).toBe('@Bob ');

      await type(field, '@Bob and @a');
      await screen.findAllByRole('option');
      await fireEvent.keyDown(field, { key: 'Escape' });
      expect(screen.queryByRole('listbox')).toBeNull();
      expect(onCancel).not.toHaveBeenCalled();
      await fireEvent.keyDown(field, { key: 'Enter', ctrlKey: true });
      await waitFor(() => expect(commands.publish).toHaveBeenCalled());
      expect(commands.publish).toHaveBeenLastCalledWith(expect.objectContaining({ text: `@${BOB} and @a` }));
    });

    it('a name typed but never chosen stays text, and nobody is offered inside a word', async () => {
      useReadyAccount();
      render(Composer);
      const field = screen.getByTestId('composer-text') as HTMLTextAreaElement;
      await type(field, 'mail@ad');
      await new Promise((r) => setTimeout(r, 200));
      expect(screen.queryByRole('listbox')).toBeNull();
      await type(field, 'hi @Ada');
      await fireEvent.keyDown(field, { key: 'Escape' });
      await fireEvent.keyDown(field, { key: 'Enter', ctrlKey: true });
      await waitFor(() => expect(commands.publish).toHaveBeenCalled());
      expect(commands.publish).toHaveBeenLastCalledWith(expect.objectContaining({ text: 'hi @Ada' }));
    });
  });

  it('keeps a draft being typed across a restart (the window closed without leaving the screen)', async () => {
    const first = render(Composer);
    const photo = file('bench.png', 1000);
    await fireEvent.change(filesInput(), { target: { files: [photo] } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'New post' }), { target: { value: 'Un brouillon qui survit' } });
    await waitFor(async () => expect((await loadSavedDraft(ME, 'post'))?.text).toBe('Un brouillon qui survit'), {
      timeout: 2000,
    });
    // A restart: the window's memory is gone, the composer never closed.
    forgetAllDrafts();
    first.unmount();
    forgetAllDrafts();
    render(Composer);
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'New post' })).toHaveValue('Un brouillon qui survit'));
    expect(screen.getAllByRole('button', { name: /Remove image/ })).toHaveLength(1);
  });

  it('forgets the saved draft once it is posted, so a restart does not bring it back', async () => {
    render(Composer);
    await fireEvent.input(screen.getByRole('textbox', { name: 'New post' }), { target: { value: 'Posted once' } });
    await waitFor(async () => expect(await loadSavedDraft(ME, 'post')).not.toBeNull(), { timeout: 2000 });
    await fireEvent.click(screen.getByRole('button', { name: 'Post' }));
    await waitFor(() => expect(commands.publish).toHaveBeenCalled());
    await waitFor(async () => expect(await loadSavedDraft(ME, 'post')).toBeNull(), { timeout: 2000 });
  });

  it('takes an image pasted or dropped on it, within the same limits, and leaves pasted text alone', async () => {
    render(Composer);
    const form = screen.getByRole('form', { name: 'New post' });
    const paste = new Event('paste', { bubbles: true, cancelable: true });
    Object.assign(paste, { clipboardData: { files: [file('shot.png', 1000)] } });
    screen.getByRole('textbox', { name: 'New post' }).dispatchEvent(paste);
    expect(paste.defaultPrevented).toBe(true);
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Remove image/ })).toHaveLength(1));

    const text = new Event('paste', { bubbles: true, cancelable: true });
    Object.assign(text, { clipboardData: { files: [] } });
    form.dispatchEvent(text);
    expect(text.defaultPrevented).toBe(false);

    const files = [file('a.png', 1000), file('notes.txt', 10, 'text/plain')];
    const over = new Event('dragover', { bubbles: true, cancelable: true });
    Object.assign(over, { dataTransfer: { types: ['Files'], dropEffect: 'none' } });
    form.dispatchEvent(over);
    expect(over.defaultPrevented).toBe(true);
    await waitFor(() => expect(form).toHaveClass('dropping'));
    const drop = new Event('drop', { bubbles: true, cancelable: true });
    Object.assign(drop, { dataTransfer: { types: ['Files'], files } });
    form.dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
    await waitFor(() => expect(screen.getAllByRole('button', { name: /Remove image/ })).toHaveLength(2));
    expect(form).not.toHaveClass('dropping');
    expect(screen.getByRole('alert')).toHaveTextContent('“notes.txt” is not an image.');
  });
});
