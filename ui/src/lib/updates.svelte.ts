// Kith updates offered by peers, shared by the banner in the Shell, the
// sidebar's mark and the Updates part of the Share Kith screen. Refreshed on
// start, on every `updateOffered` event and once a minute; while a download
// asked for here runs, a little more often, to show its progress. Nothing is
// ever downloaded or installed unless the person asks (download(), install()).
import { api, errorMessage, on, type Unlisten } from './api';
import type { UpdateStatus } from './bindings';
import { updateNotice, type UpdateNotice } from './release';

/** The regular refresh. */
export const UPDATE_POLL_MS = 60_000;
/** How often the progress of a download under way is read. */
export const PROGRESS_POLL_MS = 1_500;

class Updates {
  /** The last status read; null until the first answer. */
  status = $state<UpdateStatus | null>(null);
  /** Why the status could not be read (locked, …). */
  loadError = $state<string | null>(null);
  /** A download asked for here is under way. */
  downloading = $state(false);
  /** The system installer is running. */
  installing = $state(false);
  /** Why the last download or install asked for here failed. */
  actionError = $state<string | null>(null);
  /** The version the system installer finished installing (restart to use it). */
  installed = $state<string | null>(null);
  /** Downloads finished here (screens showing the kept release reload on a change). */
  downloads = $state(0);
  /** A notice the person put aside ("Not now"), as `kind:version`. */
  dismissed = $state<string | null>(null);

  #unlisten: Unlisten | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #progressTimer: ReturnType<typeof setInterval> | null = null;
  /** Answers to refreshes that started before a newer status arrived are dropped. */
  #seq = 0;

  /** What to tell the person, if anything. */
  get notice(): UpdateNotice | null {
    return updateNotice(this.status);
  }

  /** The notice for the banner: none once put aside or installed. */
  get bannerNotice(): UpdateNotice | null {
    const n = this.notice;
    if (!n || this.installed === n.version || this.dismissed === `${n.kind}:${n.version}`) return null;
    return n;
  }

  /** Subscribes and polls once; later calls do nothing. */
  start(): void {
    if (this.#unlisten) return;
    this.#unlisten = on.updateOffered(() => void this.refresh());
    this.#timer = setInterval(() => void this.refresh(), UPDATE_POLL_MS);
    void this.refresh();
  }

  stop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#stopProgress();
  }

  /** Reads the status again; failures are kept in `loadError`, never thrown. */
  async refresh(): Promise<void> {
    const n = ++this.#seq;
    try {
      const s = await api.updateStatus();
      if (n !== this.#seq) return;
      this.status = s;
      this.loadError = null;
    } catch (e) {
      if (n === this.#seq) this.loadError = errorMessage(e);
    }
  }

  /** Fetches the offered update from peers and verifies it (installs nothing). */
  async download(): Promise<boolean> {
    if (this.downloading || this.installing) return false;
    this.downloading = true;
    this.actionError = null;
    this.#progressTimer = setInterval(() => void this.refresh(), PROGRESS_POLL_MS);
    try {
      const s = await api.updateDownload();
      this.#seq++;
      this.status = s;
      this.downloads++;
      return true;
    } catch (e) {
      this.actionError = errorMessage(e);
      void this.refresh();
      return false;
    } finally {
      this.#stopProgress();
      this.downloading = false;
    }
  }

  /**
   * Runs the system package installer on the downloaded update. Call only
   * after the person confirmed: their system then asks for their password.
   */
  async install(): Promise<boolean> {
    const version = this.status?.downloaded?.version;
    if (!version || this.installing || this.downloading) return false;
    this.installing = true;
    this.actionError = null;
    try {
      await api.updateInstall();
      this.installed = version;
      return true;
    } catch (e) {
      this.actionError = errorMessage(e);
      return false;
    } finally {
      this.installing = false;
    }
  }

  /** Hides the banner for this notice until another one comes. */
  dismiss(): void {
    const n = this.notice;
    if (n) this.dismissed = `${n.kind}:${n.version}`;
  }

  #stopProgress(): void {
    if (this.#progressTimer !== null) clearInterval(this.#progressTimer);
    this.#progressTimer = null;
  }

  /** Forgets everything (tests, a new session). */
  reset(): void {
    this.stop();
    this.#seq++;
    this.status = null;
    this.loadError = null;
    this.downloading = false;
    this.installing = false;
    this.actionError = null;
    this.installed = null;
    this.dismissed = null;
  }
}

export const updates = new Updates();
