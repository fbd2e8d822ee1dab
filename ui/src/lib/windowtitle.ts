// The window's title carries the count of new activity ("Kith (3)"), so a
// taskbar or window switcher shows that something waits inside.
import { getCurrentWindow } from '@tauri-apps/api/window';

/** The app's name, the title with nothing new. */
export const APP_TITLE = 'Kith';

/** The title for `unread` new items, the node counting up to `cap`. */
export function titleFor(unread: number, cap: number): string {
  if (unread <= 0) return APP_TITLE;
  return `${APP_TITLE} (${unread >= cap ? `${cap - 1}+` : unread})`;
}

let shown = APP_TITLE;

/** Sets the window's title for `unread` new items, when it changes. */
export async function showUnreadInTitle(unread: number, cap: number): Promise<void> {
  const title = titleFor(unread, cap);
  if (title === shown) return;
  shown = title;
  try {
    await getCurrentWindow().setTitle(title);
  } catch {
    // Outside the desktop shell (the browser preview, tests) there is no
    // window to name; the count is in the sidebar all the same.
  }
}
