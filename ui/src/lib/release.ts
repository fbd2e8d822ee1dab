// Share Kith and updates: the texts and checks of the screen and the update
// banner, kept pure so they are tested directly.
import type { Progress, UpdateStatus } from './bindings';
import { formatBytes, formatCount } from './format';

/** How long the share page may stay up, in minutes (as `kith share-app`). */
export const MIN_SHARE_MINUTES = 1;
export const MAX_SHARE_MINUTES = 240;
export const DEFAULT_SHARE_MINUTES = 15;

export type MinutesCheck = { ok: true; minutes: number } | { ok: false; message: string };

/**
 * The minutes field, checked before anything is asked of the node: a whole
 * number from 1 to 240. Takes what a number input binds to (a number, or
 * null/undefined when empty) or its text.
 */
export function checkMinutes(value: unknown): MinutesCheck {
  const range = `${MIN_SHARE_MINUTES} to ${MAX_SHARE_MINUTES}`;
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value.trim());
  else return { ok: false, message: `Give how many minutes the page stays up: ${range}.` };
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    return { ok: false, message: `Give a whole number of minutes: ${range}.` };
  }
  if (n < MIN_SHARE_MINUTES || n > MAX_SHARE_MINUTES) {
    return { ok: false, message: `Share for ${range} minutes, not ${n}.` };
  }
  return { ok: true, minutes: n };
}

/** Local wall-clock time as `HH:MM` (24 hours). */
export function clockTime(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Whole minutes left until `until`, rounded up; 0 once it has passed. */
export function minutesLeft(until: number, now: number): number {
  return until <= now ? 0 : Math.ceil((until - now) / 60_000);
}

/** "Stops by itself at 14:05 (in 12 minutes)." */
export function countdownText(until: number, now: number): string {
  const at = clockTime(until);
  const left = until - now;
  if (left <= 0) return `Stopped by itself at ${at}.`;
  if (left < 60_000) return `Stops by itself at ${at} (in less than a minute).`;
  return `Stops by itself at ${at} (in ${formatCount(minutesLeft(until, now), 'minute')}).`;
}

/** The six words of a release key fingerprint (`word-word-…`). */
export function fingerprintWords(fingerprint: string): string[] {
  return fingerprint.split('-').filter((w) => w !== '');
}

/** "9.5 MiB (9,926,408 bytes)": readable, with the exact count to compare. */
export function sizeText(bytes: number): string {
  return bytes < 1024 ? formatBytes(bytes) : `${formatBytes(bytes)} (${bytes.toLocaleString('en')} bytes)`;
}

/** What the update banner says, or null when there is nothing to say. */
export type UpdateNotice =
  | { kind: 'available'; version: string; peers: number; text: string }
  | { kind: 'downloaded'; version: string; text: string };

export function updateNotice(status: UpdateStatus | null): UpdateNotice | null {
  if (!status) return null;
  if (status.downloaded) {
    const version = status.downloaded.version;
    return { kind: 'downloaded', version, text: `Kith ${version} is downloaded and verified` };
  }
  if (status.available) {
    const { version, peers } = status.available;
    return {
      kind: 'available',
      version,
      peers,
      text: `Kith ${version} is available (from ${formatCount(peers, 'peer')})`,
    };
  }
  return null;
}

/** "Downloading Kith_0.2.0_amd64.deb: 1.2 MiB of 9.5 MiB (12%)". */
export function downloadProgressText(p: Progress): string {
  if (p.size <= 0) return `Downloading ${p.file}: ${formatBytes(p.received)}`;
  const pct = Math.min(100, Math.floor((p.received / p.size) * 100));
  return `Downloading ${p.file}: ${formatBytes(p.received)} of ${formatBytes(p.size)} (${pct}%)`;
}

/** The confirmation asked before the system installer runs. */
export function installQuestion(version: string): { title: string; message: string } {
  return {
    title: `Install Kith ${version}?`,
    message: 'Your system will ask for your password. Kith never installs anything by itself.',
  };
}
