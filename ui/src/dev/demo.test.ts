// @vitest-environment node
// The sample data of `npm run dev:mock` shows every moderation feature.
import { describe, expect, it } from 'vitest';
import type { AppError, Result } from '../lib/bindings';
import { demoState } from './demo';
import { createFakeBackend } from './fake-backend';

function data<T>(r: Result<T, AppError>): T {
  if (r.status !== 'ok') throw new Error(r.error.message);
  return r.data;
}

describe('dev:mock sample data', () => {
  const state = demoState('ready');
  state.latency = 0;
  const { commands } = createFakeBackend(state);

  it('has a subscribed list, one still on its way, a muted word, a mute, a block and an open report', async () => {
    const o = data(await commands.moderation());
    expect(o.subscriptions.map((l) => l.name)).toEqual(['Spam watch', null]);
    expect(o.marks.words.map((w) => w.target)).toEqual(['crypto']);
    expect(o.marks.mutes).toHaveLength(1);
    expect(o.marks.blocks).toHaveLength(1);
    expect(o.own_lists.map((l) => l.name)).toEqual(['Tea room rules']);
    expect(o.open_reports).toBe(1);
    expect(data(await commands.sentReports())).toHaveLength(1);
  });

  it('keeps Kith 0.1.0 to share, on two LAN addresses, and offers 0.2.0 from two peers', async () => {
    const info = data(await commands.releaseInfo());
    expect(info.held?.version).toBe('0.1.0');
    expect(info.held?.files.map((f) => f.name.split('.').pop())).toEqual(['deb', 'rpm']);
    expect(info.lanAddresses).toHaveLength(2);
    const u = data(await commands.updateStatus());
    expect(u.available).toMatchObject({ version: '0.2.0', peers: 2 });
    expect(u.downloaded).toBeNull();
    expect(u.refused.length).toBeGreaterThan(0);
  });

  it('covers a post in the timeline and leaves muted words out', async () => {
    const page = data(await commands.timeline(100, null));
    const covered = page.posts.filter((p) => p.moderation?.action === 'warn');
    expect(covered).toHaveLength(1);
    expect(covered[0]?.moderation?.reasons).toEqual([
      'covered by list “Spam watch”: misleading (this post) — a hoax about the moon landing',
    ]);
    expect(page.posts.some((p) => /crypto/i.test(p.text ?? ''))).toBe(false);
    expect(page.posts.some((p) => p.moderation?.action === 'hide')).toBe(false);
  });

  it('shows the muted reply of a thread as a placeholder without its text', async () => {
    const root = state.posts.find((p) => state.posts.some((r) => r.reply_to === p.id))!;
    const thread = data(await commands.thread(root.id));
    const hidden = thread.posts.filter((p) => p.moderation?.action === 'hide');
    expect(hidden).toHaveLength(1);
    expect(hidden[0]).toMatchObject({ text: null, moderation: { reasons: ['you muted the word “crypto”'] } });
  });
});
