// Who is using the app: phase and own account from `appStatus()`, own name
// and avatar from the own profile.
import { api } from './api';
import type { AppStatus } from './bindings';

class Session {
  status = $state<AppStatus | null>(null);
  /** Own display name, once the own profile is loaded. */
  name = $state<string | null>(null);
  /** Own avatar hash, once the own profile is loaded. */
  avatar = $state<string | null>(null);
  /** Locked from the window (the node still running), not yet opened again. */
  lockedHere = $state(false);

  get account(): string | null {
    return this.status?.account ?? null;
  }

  isOwn(account: string): boolean {
    return this.status?.account === account;
  }

  async refresh(): Promise<AppStatus> {
    const s = await api.appStatus();
    this.status = s;
    if (s.phase !== 'locked') this.lockedHere = false;
    // Before the passphrase: the greeting's name, read from the home.
    if (s.name !== null && this.name === null) this.name = s.name;
    return s;
  }

  /** Loads the own name and avatar; quietly keeps what it had on failure. */
  async loadProfile(): Promise<void> {
    try {
      const p = await api.profile(null);
      this.setProfile(p.name, p.avatar);
    } catch {
      /* locked or not created yet */
    }
  }

  setProfile(name: string | null, avatar: string | null): void {
    this.name = name;
    this.avatar = avatar;
  }
}

export const session = new Session();
