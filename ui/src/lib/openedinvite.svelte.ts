// Invite links Kith was opened with (a `kith:` link clicked in a browser or
// a chat, while the app runs or to start it). The Rust side brings the
// window forward and keeps the link; here it waits until the window is
// unlocked, then opens the invite screen with the code filled in. Nothing
// is followed until the person accepts it there.
import { api, on, type OpenedInvite, type Unlisten } from './api';
import { router } from './router.svelte';

class OpenedInvites {
  /** The invite the invite screen has yet to show. */
  waiting = $state<OpenedInvite | null>(null);

  /** Takes the link waiting now and each one arriving later, until stopped. */
  start(): Unlisten {
    let stopped = false;
    const take = async (): Promise<void> => {
      const invite = await api.takeOpenedInvite().catch(() => null);
      if (!invite) return;
      // Kept even if the window locked meanwhile: shown after unlocking.
      this.waiting = invite;
      if (!stopped) router.go({ name: 'invite' });
    };
    if (this.waiting) router.go({ name: 'invite' });
    void take();
    const stop = on.inviteOpened(() => void take());
    return () => {
      stopped = true;
      stop();
    };
  }

  /** The waiting invite, once: for the invite screen. */
  claim(): OpenedInvite | null {
    const invite = this.waiting;
    this.waiting = null;
    return invite;
  }
}

export const openedInvites = new OpenedInvites();
