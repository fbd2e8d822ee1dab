import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('$lib/bindings', () => import('../../test/fake-bindings'));

import { backend, commands } from '../../test/fake-bindings';
import { fakeAccountId } from '../../dev/fake-backend';
import { ADA, ME, useReadyAccount } from '../../test/helpers';
import { shortId } from '$lib/format';
import { openedInvites } from '$lib/openedinvite.svelte';
import Invite from '../Invite.svelte';

describe('Invite', () => {
  beforeEach(() => {
    useReadyAccount();
  });

  it('shows the own invite code, copies it, and shows the QR SVG as a data URL', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(Invite);
    const code = await screen.findByTestId('invite-code');
    expect(code.textContent).toMatch(new RegExp(`^kith:${ME}@`));
    const qr = screen.getByRole('img', { name: 'QR code of your invite' });
    expect(qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    await fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith(code.textContent);
  });

  it('accepts a pasted invite and says who is followed', async () => {
    render(Invite);
    await fireEvent.input(screen.getByTestId('accept-invite-input'), { target: { value: `  kith:${ADA}@/ip4/1.2.3.4/tcp/1  ` } });
    await fireEvent.click(screen.getByTestId('accept-invite-button'));
    await waitFor(() => expect(screen.getByTestId('accept-invite-result')).toHaveTextContent('Following Ada'));
    expect(commands.acceptInvite).toHaveBeenCalledWith(`kith:${ADA}@/ip4/1.2.3.4/tcp/1`);
  });

  it('names someone followed before their profile arrived once their feed does', async () => {
    const s = useReadyAccount();
    const cam = fakeAccountId('cam');
    render(Invite);
    await fireEvent.input(screen.getByTestId('accept-invite-input'), { target: { value: `kith:${cam}@/ip4/1.2.3.4/tcp/1` } });
    await fireEvent.click(screen.getByTestId('accept-invite-button'));
    const result = await screen.findByTestId('accept-invite-result');
    expect(result).toHaveTextContent(`Following ${shortId(cam)}`);
    expect(screen.getByTestId('accept-invite-pending')).toHaveTextContent('Their name and posts appear once Kith reaches');

    // Another feed changing names nobody.
    backend.emit('feedChanged', { account: ADA });
    // Cam's feed arrives, with her profile.
    s.accounts.set(cam, { account: cam, name: 'Cam', bio: null, avatar: null });
    backend.emit('feedChanged', { account: cam });
    await waitFor(() => expect(screen.getByTestId('accept-invite-result')).toHaveTextContent('Following Cam'));
    expect(screen.queryByTestId('accept-invite-pending')).toBeNull();
  });

  it('reads an invite from a text file, trimmed', async () => {
    render(Invite);
    const f = new File([`\n kith:${ADA}@/ip4/1.2.3.4/tcp/1 \n`], 'invite.txt', { type: 'text/plain' });
    await fireEvent.change(screen.getByLabelText('Open a file…'), { target: { files: [f] } });
    await waitFor(() => expect(screen.getByTestId('accept-invite-input')).toHaveValue(`kith:${ADA}@/ip4/1.2.3.4/tcp/1`));
  });

  it('fills in the code of an invite link Kith was opened with and says where it came from', async () => {
    const scrolled = vi.fn();
    Element.prototype.scrollIntoView = scrolled;
    openedInvites.waiting = { code: `kith:${ADA}@/ip4/1.2.3.4/tcp/1`, problem: null };
    render(Invite);
    await waitFor(() => expect(screen.getByTestId('accept-invite-input')).toHaveValue(`kith:${ADA}@/ip4/1.2.3.4/tcp/1`));
    expect(screen.getByTestId('invite-from-link')).toHaveTextContent('Accept it if it came from someone you know');
    expect(openedInvites.waiting, 'shown once').toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('accept-invite-input'));
    // In view with its Accept button, again once the own invite above is drawn.
    await screen.findByTestId('invite-code');
    await waitFor(() => expect(scrolled.mock.instances.length).toBeGreaterThanOrEqual(2));
    expect(scrolled.mock.instances.every((el) => el instanceof HTMLFormElement)).toBe(true);
    Reflect.deleteProperty(Element.prototype, 'scrollIntoView');
    // Edited, the code is no longer the link's: the note goes.
    await fireEvent.input(screen.getByTestId('accept-invite-input'), { target: { value: 'kith:other' } });
    expect(screen.queryByTestId('invite-from-link')).not.toBeInTheDocument();
    expect(commands.acceptInvite).not.toHaveBeenCalled();
  });

  it('says why a link Kith was opened with is not kept, with nothing filled in', async () => {
    openedInvites.waiting = { code: '', problem: 'Kith was opened with a link of 5000 bytes: longer than any invite.' };
    render(Invite);
    expect(await screen.findByRole('alert')).toHaveTextContent('longer than any invite');
    expect(screen.getByTestId('accept-invite-input')).toHaveValue('');
    expect(screen.queryByTestId('invite-from-link')).not.toBeInTheDocument();
  });

  it('shows why an invite was refused', async () => {
    render(Invite);
    await fireEvent.input(screen.getByTestId('accept-invite-input'), { target: { value: 'garbage' } });
    await fireEvent.click(screen.getByTestId('accept-invite-button'));
    expect(await screen.findByRole('alert')).toHaveTextContent('This is not a Kith invite.');
  });
});
