// `npm run dev:mock` swaps the generated bindings for this module (see
// vite.config.ts): the UI runs in any browser against sample data.
// `?phase=new` or `?phase=locked` in the address starts at onboarding/unlock.
import { createFakeBackend, makePost } from './fake-backend';
import { demoState } from './demo';

export type * from '../lib/bindings';

const phase = new URLSearchParams(location.search).get('phase');
const backend = createFakeBackend(demoState(phase === 'new' || phase === 'locked' ? phase : 'ready'));

export const commands = backend.commands;
export const events = backend.events;

// A friend posts now and then, so the "new posts" pill can be seen.
setInterval(() => {
  const s = backend.state;
  const author = s.following[Math.floor(Math.random() * s.following.length)];
  if (!author || s.phase !== 'ready') return;
  const a = s.accounts.get(author);
  const p = makePost({ author, author_name: a?.name ?? null, text: `Live from the LAN at ${new Date().toLocaleTimeString()}` });
  s.posts.push(p);
  backend.postsArrived(author, [p.id]);
  // Queued reports reach their maintainer.
  for (const r of s.outbox) if (r.status === 'queued') r.status = 'delivered';
}, 20_000);

// Screenshots and quick looks: `?theme=dark`, `?route=people` (any screen
// name, `share` for Share Kith), `?route=thread` (the first post with replies),
// `?route=profile&who=other`.
const params = new URLSearchParams(location.search);
const theme = params.get('theme');
if (theme === 'light' || theme === 'dark' || theme === 'system') backend.state.settings.theme = theme;
const route = params.get('route');
if (route) {
  void import('../lib/router.svelte').then(({ router }) => {
    setTimeout(() => {
      const s = backend.state;
      if (route === 'thread') {
        const withReplies = s.posts.find((p) => s.posts.some((r) => r.reply_to === p.id));
        if (withReplies) router.go({ name: 'thread', post: withReplies.id });
      } else if (route === 'profile') {
        router.go({ name: 'profile', account: params.get('who') === 'other' ? (s.following[0] ?? null) : null });
      } else if (route === 'search') {
        router.go({ name: 'search', query: params.get('q') ?? '' });
      } else if (['home', 'people', 'invite', 'backup', 'moderation', 'reports', 'share', 'settings'].includes(route)) {
        router.go({ name: route } as { name: 'home' | 'people' | 'invite' | 'backup' | 'moderation' | 'reports' | 'share' | 'settings' });
      }
    }, 300);
  });
}
