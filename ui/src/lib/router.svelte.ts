// A small typed router: the current screen plus a back stack. No URLs: the
// app is one window, and Escape / "Back" walk the stack.

export type Route =
  | { name: 'home' }
  | { name: 'activity' }
  | { name: 'search'; query: string }
  | { name: 'profile'; account: string | null }
  /** Whom an account (own when null) follows, or the feeds here that follow it. */
  | { name: 'follows'; account: string | null; direction: 'following' | 'followers' }
  | { name: 'thread'; post: string }
  | { name: 'people' }
  | { name: 'invite' }
  | { name: 'backup' }
  | { name: 'moderation' }
  | { name: 'reports' }
  | { name: 'share' }
  | { name: 'settings' };

export type RouteName = Route['name'];

/** Sidebar sections; a thread belongs to no section. */
export type Section =
  | 'home'
  | 'activity'
  | 'search'
  | 'profile'
  | 'people'
  | 'invite'
  | 'backup'
  | 'moderation'
  | 'share'
  | 'settings';

export function sectionOf(r: Route, own: string | null): Section | null {
  switch (r.name) {
    case 'thread':
      return null;
    case 'profile':
    case 'follows':
      return r.account === null || r.account === own ? 'profile' : null;
    case 'reports':
      return 'moderation';
    default:
      return r.name;
  }
}

function same(a: Route, b: Route): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const MAX_STACK = 50;

function toTop(): void {
  if (typeof window !== 'undefined' && typeof window.scrollTo === 'function') window.scrollTo(0, 0);
}

class Router {
  current = $state<Route>({ name: 'home' });
  #stack: Route[] = $state([]);

  get canGoBack(): boolean {
    return this.#stack.length > 0;
  }

  /** Opens a screen; opening the one already shown does nothing. */
  go(route: Route): void {
    if (same(route, this.current)) return;
    this.#stack.push(this.current);
    if (this.#stack.length > MAX_STACK) this.#stack.shift();
    toTop();
    this.current = route;
  }

  /** Changes the current screen's parameters without a history entry. */
  replace(route: Route): void {
    this.current = route;
  }

  /** Previous screen; false if there is none. */
  back(): boolean {
    const prev = this.#stack.pop();
    if (!prev) return false;
    toTop();
    this.current = prev;
    return true;
  }

  reset(route: Route = { name: 'home' }): void {
    this.#stack = [];
    this.current = route;
  }
}

export const router = new Router();
