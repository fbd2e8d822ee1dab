// A click on a desktop notification (a reply or a mention) raises the
// window and names the post; the window shows that post's thread.
import { on, type Unlisten } from './api';
import { router } from './router.svelte';

/** Opens the thread of each clicked notification's post until stopped. */
export function openClickedNotices(): Unlisten {
  return on.openPost((p) => router.go({ name: 'thread', post: p.post }));
}
