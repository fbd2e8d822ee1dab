// A click on a desktop notification raises the window and names what it
// was about: a reply or a mention opens that post's thread; the one summing
// up a batch's further replies and mentions opens Activity.
import { on, type Unlisten } from './api';
import { router } from './router.svelte';

/** Opens what each clicked notification was about, until stopped. */
export function openClickedNotices(): Unlisten {
  const stopPosts = on.openPost((p) => router.go({ name: 'thread', post: p.post }));
  const stopActivity = on.openActivity(() => router.go({ name: 'activity' }));
  return () => {
    stopPosts();
    stopActivity();
  };
}
