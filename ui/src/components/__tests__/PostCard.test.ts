import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { commands } from '../../test/fake-bindings';
import { ADA, addPost, BOB, ME, useReadyAccount } from '../../test/helpers';
import type { FakeState } from '../../dev/fake-backend';
import { clearPostCache } from '$lib/quotes';
import { router } from '$lib/router.svelte';
import { toasts } from '$lib/toasts.svelte';
import PostCard from '../PostCard.svelte';

let s: FakeState;

describe('PostCard', () => {
  beforeEach(() => {
    s = useReadyAccount();
    clearPostCache();
    router.reset();
  });

  it('shows the author, short id, relative time with the full date, and plain text with line breaks', () => {
    const post = addPost(s, { author: ADA, text: 'line one\nline two <b>not bold</b>', created_at: Date.now() - 5 * 60_000 });
    render(PostCard, { post });
    const card = screen.getByTestId('post');
    expect(card).toHaveAttribute('data-post-id', post.id);
    expect(within(card).getByRole('button', { name: 'Ada' })).toBeInTheDocument();
    expect(card).toHaveTextContent(ADA.slice(0, 9));
    const time = card.querySelector('time');
    expect(time).toHaveTextContent('5m');
    expect(time?.getAttribute('datetime')).toBe(new Date(post.created_at).toISOString());
    expect(time?.getAttribute('title')).toMatch(/\d{4}/);
    const text = screen.getByTestId('post-text');
    expect(text.textContent).toBe('line one\nline two <b>not bold</b>');
    expect(text.querySelector('b')).toBeNull();
  });

  it('says whom a reply answers, by name, opening their profile; a reply to you says so', async () => {
    const bobs = addPost(s, { author: BOB, text: 'hi' });
    const toBob = addPost(s, { author: ADA, text: 'to Bob', reply_to: bobs.id, reply_to_author: BOB, reply_to_name: 'Bob' });
    const { unmount } = render(PostCard, { post: toBob });
    const context = screen.getByTestId('reply-context');
    expect(context).toHaveTextContent('Reply to Bob');
    await fireEvent.click(within(context).getByRole('button', { name: 'Bob' }));
    expect(router.current).toEqual({ name: 'profile', account: BOB });
    unmount();

    const mine = addPost(s, { author: ME, text: 'mine' });
    const toMe = addPost(s, { author: ADA, text: 'to me', reply_to: mine.id, reply_to_author: ME, reply_to_name: 'Me' });
    const second = render(PostCard, { post: toMe });
    expect(screen.getByTestId('reply-context')).toHaveTextContent(/^\s*Reply to you\s*$/);
    second.unmount();

    // Answering oneself goes on a thread rather than replying to someone.
    const adas = addPost(s, { author: ADA, text: 'one' });
    const more = addPost(s, { author: ADA, text: 'two', reply_to: adas.id, reply_to_author: ADA, reply_to_name: 'Ada' });
    render(PostCard, { post: more });
    expect(screen.getByTestId('reply-context')).toHaveTextContent(/^\s*Continues a thread\s*$/);
  });

  it('gives each image its description as alternative text and opens them at full size in a viewer', async () => {
    const [one, two] = ['aa'.repeat(32), 'bb'.repeat(32)];
    const post = addPost(s, { author: ADA, text: 'Market day', attachments: [one, two], descriptions: ['Strawberries on a stall'] });
    render(PostCard, { post });
    const images = screen.getAllByTestId('post-image');
    expect(within(images[0]!).getByRole('img')).toHaveAttribute('alt', 'Strawberries on a stall');
    expect(within(images[1]!).getByRole('img')).toHaveAttribute('alt', 'Image 2 of 2 in a post by Ada, not described');
    expect(images[0]).toHaveTextContent('ALT');
    expect(images[1]).not.toHaveTextContent('ALT');

    await fireEvent.click(images[0]!);
    const viewer = screen.getByRole('dialog', { name: 'Image 1 of 2' });
    expect(within(viewer).getByTestId('image-description')).toHaveTextContent('Strawberries on a stall');
    expect(within(viewer).getByRole('button', { name: 'Close' })).toHaveFocus();
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(screen.getByRole('dialog', { name: 'Image 2 of 2' })).toBeInTheDocument();
    expect(screen.getByTestId('image-description')).toHaveTextContent('did not describe this image');
    await fireEvent.click(screen.getByTestId('image-next'));
    expect(screen.getByRole('dialog', { name: 'Image 1 of 2' })).toBeInTheDocument();
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(router.current.name).not.toBe('thread');
  });

  it('hides the text and images of a content warning until "Show"', async () => {
    const post = addPost(s, { author: ADA, text: 'The butler did it', cw: 'spoilers', attachments: ['aa'.repeat(32)] });
    render(PostCard, { post });
    expect(screen.getByText('spoilers')).toBeInTheDocument();
    expect(screen.queryByText('The butler did it')).toBeNull();
    expect(screen.queryByRole('img')).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Show' }));
    expect(screen.getByTestId('post-text')).toHaveTextContent('The butler did it');
    expect(screen.getByRole('img', { name: 'Image in a post by Ada, not described' })).toHaveAttribute(
      'src',
      `kith-blob://localhost/${'aa'.repeat(32)}`,
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Hide' }));
    expect(screen.queryByText('The butler did it')).toBeNull();
  });

  it('renders images lazily with numbered alt text', () => {
    const post = addPost(s, { author: BOB, text: 'pics', attachments: ['01'.repeat(32), '02'.repeat(32)] });
    render(PostCard, { post });
    const imgs = screen.getAllByRole('img', { name: /in a post by Bob/ });
    expect(imgs.map((i) => i.getAttribute('alt'))).toEqual([
      'Image 1 of 2 in a post by Bob, not described',
      'Image 2 of 2 in a post by Bob, not described',
    ]);
    expect(imgs.every((i) => i.getAttribute('loading') === 'lazy')).toBe(true);
  });

  it('renders a repost as "X reposted" with the original post', async () => {
    const original = addPost(s, { author: ADA, text: 'Original words' });
    const repost = addPost(s, { author: BOB, text: '', quote_of: original.id });
    render(PostCard, { post: repost });
    expect(screen.getByTestId('post')).toHaveTextContent('Bob reposted');
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('Original words'));
    expect(commands.posts).toHaveBeenCalledWith([original.id]);
    expect(screen.getByRole('button', { name: 'Ada' })).toBeInTheDocument();
  });

  it('renders a quote with its own text and the quoted post compactly', async () => {
    const original = addPost(s, { author: ADA, text: 'Quoted words' });
    const quote = addPost(s, { author: BOB, text: 'My take', quote_of: original.id });
    render(PostCard, { post: quote });
    expect(screen.getByTestId('post-text')).toHaveTextContent('My take');
    expect(screen.queryByText(/reposted/)).toBeNull();
    const quoted = await screen.findByRole('button', { name: 'Quoted post by Ada' });
    expect(quoted).toHaveTextContent('Quoted words');
    await fireEvent.click(quoted);
    expect(router.current).toEqual({ name: 'thread', post: original.id });
  });

  it('names a quoted post by its author and has what it says read too, as its description', async () => {
    const original = addPost(s, { author: ADA, text: 'Quoted words', created_at: Date.now() - 5 * 60_000 });
    const quote = addPost(s, { author: BOB, text: 'My take', quote_of: original.id });
    render(PostCard, { post: quote });
    const quoted = await screen.findByRole('button', { name: 'Quoted post by Ada' });
    expect(quoted).toHaveAccessibleDescription(/Quoted words/);
    expect(quoted).toHaveAccessibleDescription(/5m/);
  });

  it('offers a "quoted post" link when the quoted post is not here', async () => {
    const quote = addPost(s, { author: BOB, text: 'My take', quote_of: 'kithpost1missing' });
    render(PostCard, { post: quote });
    expect(await screen.findByRole('button', { name: 'quoted post' })).toBeInTheDocument();
  });

  it('says when a post is deleted or not received yet', () => {
    const { unmount } = render(PostCard, { post: addPost(s, { author: ADA, text: null, deleted: true }) });
    expect(screen.getByText('This post was deleted.')).toBeInTheDocument();
    expect(screen.queryByTestId('reply-button')).toBeNull();
    unmount();
    render(PostCard, { post: addPost(s, { author: ADA, text: null }) });
    expect(screen.getByText(/Not received yet/)).toBeInTheDocument();
  });

  it('marks edited posts', () => {
    render(PostCard, { post: addPost(s, { author: ADA, text: 'v2', edited: true, edited_at: Date.now() }) });
    expect(screen.getByText('edited')).toBeInTheDocument();
  });

  it('opens the thread on click and on Enter, but not from its buttons', async () => {
    const post = addPost(s, { author: ADA, text: 'hello' });
    render(PostCard, { post });
    await fireEvent.click(screen.getByTestId('reply-button'));
    expect(router.current).toEqual({ name: 'home' });
    await fireEvent.click(screen.getByTestId('post-text'));
    expect(router.current).toEqual({ name: 'thread', post: post.id });
    router.reset();
    await fireEvent.keyDown(screen.getByTestId('post'), { key: 'Enter' });
    expect(router.current).toEqual({ name: 'thread', post: post.id });
  });

  it('answers r, q, e and x on the focused card, not inside its fields or with a modifier', async () => {
    const theirs = addPost(s, { author: ADA, text: 'the ending', cw: 'film' });
    const first = render(PostCard, { post: theirs });
    const card = screen.getByTestId('post');
    await fireEvent.keyDown(card, { key: 'x' });
    expect(screen.getByTestId('post-text')).toHaveTextContent('the ending');
    await fireEvent.keyDown(card, { key: 'x' });
    expect(screen.queryByTestId('post-text')).toBeNull();
    await fireEvent.keyDown(card, { key: 'r', ctrlKey: true });
    expect(screen.queryByRole('textbox', { name: 'Reply to Ada' })).toBeNull();
    await fireEvent.keyDown(card, { key: 'r' });
    const reply = screen.getByRole('textbox', { name: 'Reply to Ada' });
    await fireEvent.keyDown(reply, { key: 'q' });
    expect(screen.queryByRole('textbox', { name: 'Quote Ada' })).toBeNull();
    await fireEvent.keyDown(card, { key: 'q' });
    expect(screen.getByRole('textbox', { name: 'Quote Ada' })).toBeInTheDocument();
    await fireEvent.keyDown(card, { key: 'e' });
    expect(screen.queryByTestId('post-editor')).toBeNull();
    first.unmount();

    render(PostCard, { post: addPost(s, { author: ME, text: 'mine' }) });
    await fireEvent.keyDown(screen.getByTestId('post'), { key: 'e' });
    const editing = screen.getByRole('textbox', { name: 'Edit post' });
    expect(editing).toHaveValue('mine');
    await waitFor(() => expect(editing).toHaveFocus());
  });

  it('reacts with an emoji from the picker and counts it', async () => {
    const post = addPost(s, { author: ADA, text: 'hello', reactions: { '👍': 1 } });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'React' }));
    await fireEvent.click(screen.getByRole('button', { name: 'React with Celebrate' }));
    expect(commands.react).toHaveBeenCalledWith(post.id, '🎉');
    await waitFor(() => expect(screen.getByRole('button', { name: /🎉 1/ })).toBeInTheDocument());
    await fireEvent.click(screen.getByRole('button', { name: /👍 1/ }));
    await waitFor(() => expect(screen.getByRole('button', { name: /👍 2/ })).toBeInTheDocument());
  });

  it('counts one reaction of each emoji per person: a second click takes it back', async () => {
    const post = addPost(s, { author: ADA, text: 'hello', reactions: { '👍': 2 } });
    render(PostCard, { post });
    const chip = screen.getByRole('button', { name: '👍 2, react with 👍' });
    expect(chip).toHaveAttribute('aria-pressed', 'false');
    await fireEvent.click(chip);
    const mine = await screen.findByRole('button', { name: '👍 3, yours: take it back' });
    expect(mine).toHaveAttribute('aria-pressed', 'true');
    await fireEvent.click(mine);
    expect(commands.unreact).toHaveBeenCalledWith(post.id, '👍');
    await screen.findByRole('button', { name: '👍 2, react with 👍' });
    expect(s.posts.find((p) => p.id === post.id)?.reactions['👍']).toBe(2);

    // The picker shows the own reaction chosen, and picking it takes it back.
    await fireEvent.click(screen.getByRole('button', { name: 'React' }));
    await fireEvent.click(screen.getByRole('button', { name: 'React with Heart' }));
    await screen.findByRole('button', { name: '❤️ 1, yours: take it back' });
    await fireEvent.click(screen.getByRole('button', { name: 'React' }));
    const heart = screen.getByRole('button', { name: 'Take back Heart' });
    expect(heart).toHaveAttribute('aria-pressed', 'true');
    await fireEvent.click(heart);
    await waitFor(() => expect(screen.queryByRole('button', { name: /❤️/ })).toBeNull());
    expect(commands.react).toHaveBeenCalledTimes(2);
    expect(commands.unreact).toHaveBeenCalledTimes(2);
  });

  it('shows a reaction the node says is mine as chosen', () => {
    render(PostCard, { post: addPost(s, { author: ADA, text: 'hi', reactions: { '🎉': 4 }, my_reactions: ['🎉'] }) });
    expect(screen.getByRole('button', { name: '🎉 4, yours: take it back' })).toHaveAttribute('aria-pressed', 'true');
  });

  it('makes the reaction picker only when opened, and closes it with its button, Escape or a press elsewhere', async () => {
    const post = addPost(s, { author: ADA, text: 'hello' });
    render(PostCard, { post });
    const toggle = screen.getByRole('button', { name: 'React' });
    expect(screen.queryByRole('group', { name: 'Reactions' })).toBeNull();
    expect(toggle).toHaveAttribute('aria-expanded', 'false');

    await fireEvent.click(toggle);
    const picker = screen.getByRole('group', { name: 'Reactions' });
    expect(toggle).toHaveAttribute('aria-controls', picker.id);
    const choices = within(picker).getAllByRole('button');
    expect(choices[0]).toHaveFocus();
    await fireEvent.keyDown(choices[0]!, { key: 'ArrowRight' });
    expect(choices[1]).toHaveFocus();
    await fireEvent.keyDown(choices[1]!, { key: 'ArrowLeft' });
    await fireEvent.keyDown(choices[0]!, { key: 'ArrowLeft' });
    expect(choices[choices.length - 1]).toHaveFocus();
    await fireEvent.keyDown(choices[0]!, { key: 'Escape' });
    expect(screen.queryByRole('group', { name: 'Reactions' })).toBeNull();
    expect(toggle).toHaveFocus();

    // Its own button closes it (the press is not "elsewhere").
    await fireEvent.click(toggle);
    await fireEvent.pointerDown(toggle);
    await fireEvent.click(toggle);
    expect(screen.queryByRole('group', { name: 'Reactions' })).toBeNull();

    await fireEvent.click(toggle);
    await fireEvent.pointerDown(screen.getByTestId('post-text'));
    expect(screen.queryByRole('group', { name: 'Reactions' })).toBeNull();
    expect(commands.react).not.toHaveBeenCalled();
  });

  it('reposts with a quote Draft that has no text', async () => {
    const post = addPost(s, { author: ADA, text: 'hello' });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'Repost' }));
    expect(commands.publish).toHaveBeenCalledWith({
      text: null,
      cw: null,
      images: [],
      descriptions: [],
      replyTo: null,
      quoteOf: post.id,
    });
  });

  it('reposts once on a double click: the second click comes while the first is being published', async () => {
    const post = addPost(s, { author: ADA, text: 'hello' });
    render(PostCard, { post });
    const button = screen.getByRole('button', { name: 'Repost' });
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const publish = commands.publish.getMockImplementation()!;
    commands.publish.mockImplementation(async (draft) => {
      await answered;
      return publish(draft);
    });
    await fireEvent.click(button);
    await fireEvent.click(button);
    answer();
    await waitFor(() => expect(s.posts.filter((p) => p.quote_of === post.id)).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 20));
    expect(commands.publish).toHaveBeenCalledTimes(1);
    expect(s.posts.filter((p) => p.quote_of === post.id)).toHaveLength(1);
    // Once published, a later click reposts again (the node allows it).
    await fireEvent.click(button);
    await waitFor(() => expect(commands.publish).toHaveBeenCalledTimes(2));
  });

  it('opens an inline reply composer that replies to this post', async () => {
    const post = addPost(s, { author: ADA, text: 'hello' });
    render(PostCard, { post });
    await fireEvent.click(screen.getByTestId('reply-button'));
    const box = screen.getByRole('textbox', { name: 'Reply to Ada' });
    await fireEvent.input(box, { target: { value: 'hi Ada' } });
    await fireEvent.keyDown(box, { key: 'Enter', ctrlKey: true });
    await waitFor(() =>
      expect(commands.publish).toHaveBeenCalledWith({
        text: 'hi Ada',
        cw: null,
        images: [],
        descriptions: [],
        replyTo: post.id,
        quoteOf: null,
      }),
    );
  });

  it('shows how many replies and reposts a post has beside their buttons, and names them', () => {
    const post = addPost(s, { author: ADA, text: 'talked about', replies: 3, reposts: 1 });
    render(PostCard, { post });
    const reply = screen.getByRole('button', { name: 'Reply (3 replies)' });
    expect(reply).toHaveTextContent('3');
    expect(screen.getByRole('button', { name: 'Repost (1 repost or quote)' })).toHaveTextContent('1');
  });

  it('shows no count on a post nobody answered or reposted', () => {
    render(PostCard, { post: addPost(s, { author: ADA, text: 'quiet' }) });
    expect(screen.getByRole('button', { name: 'Reply' })).toHaveTextContent('');
    expect(screen.getByRole('button', { name: 'Repost' })).toHaveTextContent('');
  });

  it('offers edit and delete on own posts only', () => {
    const { unmount } = render(PostCard, { post: addPost(s, { author: ADA, text: 'theirs' }) });
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
    unmount();
    render(PostCard, { post: addPost(s, { author: ME, text: 'mine' }) });
    expect(screen.getByRole('button', { name: 'Edit' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Delete' })).toBeInTheDocument();
  });

  it('edits an own post inline', async () => {
    const post = addPost(s, { author: ME, text: 'tpyo' });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const area = screen.getByRole('textbox', { name: 'Edit post' });
    await fireEvent.input(area, { target: { value: 'typo' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(commands.editPost).toHaveBeenCalledWith(post.id, { text: 'typo', cw: '', descriptions: [] });
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('typo'));
    expect(screen.getByText('edited')).toBeInTheDocument();
  });

  it('edits the content warning: changes it, and removes it when switched off', async () => {
    const post = addPost(s, { author: ME, text: 'the ending', cw: 'film' });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const warning = screen.getByRole('textbox', { name: 'Content warning' });
    expect(warning).toHaveValue('film');
    await fireEvent.input(warning, { target: { value: ' big spoilers ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(commands.editPost).toHaveBeenCalledWith(post.id, { text: 'the ending', cw: 'big spoilers', descriptions: [] });
    await waitFor(() => expect(screen.getByText('big spoilers')).toBeInTheDocument());
    expect(screen.queryByTestId('post-text')).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const toggle = screen.getByRole('button', { name: 'Content warning' });
    expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await fireEvent.click(toggle);
    expect(screen.queryByRole('textbox', { name: 'Content warning' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(commands.editPost).toHaveBeenLastCalledWith(post.id, { text: 'the ending', cw: '', descriptions: [] });
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('the ending'));
    expect(s.posts.find((p) => p.id === post.id)?.cw).toBeNull();
  });

  it('describes a posted image while editing, and the card then names the image by it', async () => {
    const post = addPost(s, { author: ME, text: 'market', attachments: ['aa'.repeat(32), 'bb'.repeat(32)] });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const editor = screen.getByTestId('post-editor');
    expect(within(editor).getAllByRole('img').map((i) => i.getAttribute('alt'))).toEqual([
      'Image 1 of 2 in a post by Me, not described',
      'Image 2 of 2 in a post by Me, not described',
    ]);
    await fireEvent.click(within(editor).getByRole('button', { name: 'Describe image 2' }));
    const dialog = await screen.findByTestId('describe-dialog');
    await fireEvent.input(within(dialog).getByRole('textbox'), { target: { value: 'Strawberries in a crate' } });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.queryByTestId('describe-dialog')).toBeNull());
    expect(within(editor).getByRole('button', { name: 'Edit the description of image 2' })).toHaveTextContent('ALT ✓');
    await fireEvent.click(within(editor).getByRole('button', { name: 'Save' }));
    expect(commands.editPost).toHaveBeenCalledWith(post.id, {
      text: 'market',
      cw: '',
      descriptions: ['', 'Strawberries in a crate'],
    });
    await waitFor(() => expect(screen.queryByTestId('post-editor')).toBeNull());
    const images = screen.getAllByTestId('post-image');
    expect(images[1]?.querySelector('img')).toHaveAttribute('alt', 'Strawberries in a crate');
    expect(s.posts.find((p) => p.id === post.id)?.descriptions).toEqual(['', 'Strawberries in a crate']);
  });

  it('saves an image post with its text emptied, but not a post of words alone', async () => {
    const photo = addPost(s, { author: ME, text: 'market', attachments: ['aa'.repeat(32)] });
    const { unmount } = render(PostCard, { post: photo });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Edit post' }), { target: { value: '  ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(commands.editPost).toHaveBeenCalledWith(photo.id, { text: '', cw: '', descriptions: [''] });
    await waitFor(() => expect(screen.queryByTestId('post-editor')).toBeNull());
    expect(screen.queryByTestId('post-text')).toBeNull();
    expect(screen.getAllByTestId('post-image')).toHaveLength(1);
    unmount();

    const words = addPost(s, { author: ME, text: 'words alone' });
    render(PostCard, { post: words });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Edit post' }), { target: { value: ' ' } });
    const save = screen.getByRole('button', { name: 'Save' });
    expect(save).toBeDisabled();
    expect(save).toHaveAttribute('title', 'A post without images needs some text.');
    await fireEvent.keyDown(screen.getByRole('textbox', { name: 'Edit post' }), { key: 'Enter', ctrlKey: true });
    expect(commands.editPost).toHaveBeenCalledTimes(1);
  });

  it('keeps the post as it was when the node refuses the edit', async () => {
    const post = addPost(s, { author: ME, text: 'keep me', cw: 'cw' });
    commands.editPost.mockResolvedValueOnce({
      status: 'error',
      error: { code: 'invalid', message: 'content warning too large' },
    });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Content warning' }), { target: { value: 'new' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('content warning too large'));
    expect(screen.getByTestId('post-editor')).toBeInTheDocument();
    expect(s.posts.find((p) => p.id === post.id)?.cw).toBe('cw');
  });

  it('shows a mention by name as a link to the profile, and an id it does not confirm as written', async () => {
    const text = `Tea with @${ADA} and @kith1notanaccount`;
    const post = addPost(s, { author: BOB, text, mentions: [{ account: ADA, name: 'Ada' }] });
    render(PostCard, { post });
    const body = screen.getByTestId('post-text');
    expect(body).toHaveTextContent('Tea with @Ada and @kith1notanaccount');
    await fireEvent.click(within(body).getByRole('button', { name: '@Ada' }));
    expect(router.current).toEqual({ name: 'profile', account: ADA });
  });

  it('opens a link in the browser, never in the window or as the thread, and a hashtag as a search', async () => {
    const post = addPost(s, { author: BOB, text: 'Menu at https://example.org/menu. #tea time' });
    render(PostCard, { post });
    const body = screen.getByTestId('post-text');
    expect(body).toHaveTextContent('Menu at example.org/menu. #tea time');
    const link = within(body).getByRole('link', { name: 'example.org/menu' });
    expect(link).toHaveAttribute('href', 'https://example.org/menu');
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    link.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    await waitFor(() => expect(s.openedLinks).toEqual(['https://example.org/menu']));
    expect(router.current.name).not.toBe('thread');
    await fireEvent(link, new MouseEvent('auxclick', { bubbles: true, cancelable: true, button: 1 }));
    await waitFor(() => expect(s.openedLinks).toHaveLength(2));

    await fireEvent.click(within(body).getByRole('button', { name: '#tea' }));
    expect(router.current).toEqual({ name: 'search', query: '#tea' });
  });

  it('says why a link could not be opened', async () => {
    commands.openLink.mockResolvedValueOnce({
      status: 'error',
      error: { code: 'no_browser', message: 'could not open the link: no browser' },
    });
    const post = addPost(s, { author: BOB, text: 'see https://example.org' });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('link', { name: 'example.org' }));
    await waitFor(() => expect(toasts.items.map((t) => t.message)).toContain('could not open the link: no browser'));
  });

  it('edits a post with a mention by its name and stores the account id again', async () => {
    const post = addPost(s, { author: ME, text: `hi @${ADA}`, mentions: [{ account: ADA, name: 'Ada' }] });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const area = screen.getByRole('textbox', { name: 'Edit post' });
    expect(area).toHaveValue('hi @Ada');
    await fireEvent.input(area, { target: { value: 'hi again @Ada' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(commands.editPost).toHaveBeenCalledWith(post.id, { text: `hi again @${ADA}`, cw: '', descriptions: [] });
    await waitFor(() => expect(screen.getByTestId('post-text')).toHaveTextContent('hi again @Ada'));
    expect(screen.getByTestId('post-text')).not.toHaveTextContent('kith1');
  });

  it('offers people to mention while editing, and a pick is stored as the account id', async () => {
    const post = addPost(s, { author: ME, text: 'lunch?' });
    render(PostCard, { post });
    await fireEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const area = screen.getByRole('textbox', { name: 'Edit post' }) as HTMLTextAreaElement;
    area.value = 'lunch? @bo';
    area.setSelectionRange(area.value.length, area.value.length);
    await fireEvent.input(area, { target: { value: area.value } });
    const options = await screen.findAllByRole('option');
    expect(options.map((o) => o.querySelector('.person-name')?.textContent)).toEqual(['Bob']);
    await fireEvent.keyDown(area, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(screen.getByRole('textbox', { name: 'Edit post' })).toBeInTheDocument();

    await fireEvent.input(area, { target: { value: area.value } });
    area.setSelectionRange(area.value.length, area.value.length);
    await fireEvent.click(area);
    await screen.findAllByRole('option');
    await fireEvent.keyDown(area, { key: 'Enter' });
    expect(area.value).toBe('lunch? @Bob ');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(commands.editPost).toHaveBeenCalledWith(post.id, { text: `lunch? @${BOB}`, cw: '', descriptions: [] });
  });

  it('deletes only after confirmation', async () => {
    const post = addPost(s, { author: ME, text: 'regret' });
    const onRemoved = vi.fn();
    render(PostCard, { post, onRemoved });
    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this post?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(commands.deletePost).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete' }));
    expect(commands.deletePost).toHaveBeenCalledWith(post.id);
    await waitFor(() => expect(onRemoved).toHaveBeenCalledWith(post.id));
  });
});
