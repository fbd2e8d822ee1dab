// @vitest-environment node
import { describe, expect, it } from 'vitest';
import type { UpdateStatus } from './bindings';
import {
  checkMinutes,
  clockTime,
  countdownText,
  downloadProgressText,
  fingerprintWords,
  installQuestion,
  minutesLeft,
  sizeText,
  updateNotice,
} from './release';

const MIN = 60_000;

function status(over: Partial<UpdateStatus> = {}): UpdateStatus {
  return {
    running: '0.1.0',
    fingerprint: 'orbit-velvet-harbor-lemon-meadow-cactus',
    available: null,
    downloaded: null,
    downloading: null,
    error: null,
    refused: [],
    ...over,
  };
}

describe('checkMinutes', () => {
  it('takes whole numbers from 1 to 240, as numbers or text', () => {
    expect(checkMinutes(15)).toEqual({ ok: true, minutes: 15 });
    expect(checkMinutes(1)).toEqual({ ok: true, minutes: 1 });
    expect(checkMinutes(240)).toEqual({ ok: true, minutes: 240 });
    expect(checkMinutes(' 30 ')).toEqual({ ok: true, minutes: 30 });
  });

  it('refuses what the node would refuse, saying the range', () => {
    expect(checkMinutes(0)).toEqual({ ok: false, message: 'Share for 1 to 240 minutes, not 0.' });
    expect(checkMinutes(241)).toEqual({ ok: false, message: 'Share for 1 to 240 minutes, not 241.' });
    expect(checkMinutes(-5)).toMatchObject({ ok: false });
    expect(checkMinutes(1.5)).toEqual({ ok: false, message: 'Give a whole number of minutes: 1 to 240.' });
    expect(checkMinutes('abc')).toMatchObject({ ok: false });
    expect(checkMinutes(Number.NaN)).toMatchObject({ ok: false });
  });

  it('asks for a number when the field is empty', () => {
    for (const empty of [null, undefined, '', '  ']) {
      expect(checkMinutes(empty)).toEqual({ ok: false, message: 'Give how many minutes the page stays up: 1 to 240.' });
    }
  });
});

describe('countdown', () => {
  const until = new Date(2026, 0, 5, 9, 7).getTime();

  it('shows the local time as HH:MM', () => {
    expect(clockTime(until)).toBe('09:07');
    expect(clockTime(new Date(2026, 0, 5, 23, 59).getTime())).toBe('23:59');
  });

  it('counts whole minutes left, rounded up', () => {
    expect(minutesLeft(until, until - 15 * MIN)).toBe(15);
    expect(minutesLeft(until, until - 14.2 * MIN)).toBe(15);
    expect(minutesLeft(until, until + 1)).toBe(0);
  });

  it('says when the page stops by itself', () => {
    expect(countdownText(until, until - 15 * MIN)).toBe('Stops by itself at 09:07 (in 15 minutes).');
    expect(countdownText(until, until - MIN)).toBe('Stops by itself at 09:07 (in 1 minute).');
    expect(countdownText(until, until - 20_000)).toBe('Stops by itself at 09:07 (in less than a minute).');
    expect(countdownText(until, until)).toBe('Stopped by itself at 09:07.');
  });
});

describe('texts', () => {
  it('splits a fingerprint into its words', () => {
    expect(fingerprintWords('orbit-velvet-harbor-lemon-meadow-cactus')).toEqual([
      'orbit',
      'velvet',
      'harbor',
      'lemon',
      'meadow',
      'cactus',
    ]);
    expect(fingerprintWords('')).toEqual([]);
  });

  it('gives sizes readably, with the exact byte count', () => {
    expect(sizeText(512)).toBe('512 B');
    expect(sizeText(9_926_408)).toBe('9.5 MiB (9,926,408 bytes)');
  });

  it('shows download progress', () => {
    const p = { version: '0.2.0', file: 'Kith_0.2.0_amd64.deb', received: 1_310_720, size: 10_485_760 };
    expect(downloadProgressText(p)).toBe('Downloading Kith_0.2.0_amd64.deb: 1.3 MiB of 10 MiB (12%)');
    expect(downloadProgressText({ ...p, size: 0 })).toBe('Downloading Kith_0.2.0_amd64.deb: 1.3 MiB');
  });

  it('asks before installing', () => {
    expect(installQuestion('0.2.0')).toEqual({
      title: 'Install Kith 0.2.0?',
      message: 'Your system will ask for your password. Kith never installs anything by itself.',
    });
  });
});

describe('updateNotice', () => {
  const available = { version: '0.2.0', date: '2026-12-14', peers: 2, file: 'Kith_0.2.0_amd64.deb', size: 1 };
  const downloaded = { version: '0.2.0', date: '2026-12-14', fingerprint: 'f', dir: '/d', files: [] };

  it('says nothing without a newer version', () => {
    expect(updateNotice(null)).toBeNull();
    expect(updateNotice(status())).toBeNull();
  });

  it('names the version and how many peers offer it', () => {
    expect(updateNotice(status({ available }))).toEqual({
      kind: 'available',
      version: '0.2.0',
      peers: 2,
      text: 'Kith 0.2.0 is available (from 2 peers)',
    });
    expect(updateNotice(status({ available: { ...available, peers: 1 } }))?.text).toBe(
      'Kith 0.2.0 is available (from 1 peer)',
    );
  });

  it('prefers the downloaded release, still offered or not', () => {
    const n = { kind: 'downloaded', version: '0.2.0', text: 'Kith 0.2.0 is downloaded and verified' };
    expect(updateNotice(status({ available, downloaded }))).toEqual(n);
    expect(updateNotice(status({ downloaded }))).toEqual(n);
  });
});
