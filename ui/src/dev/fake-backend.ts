// An in-memory stand-in for the Rust side, with the same surface as the
// generated bindings (`commands`, `events`). Used by the unit tests (wrapped
// in vi.fn) and by `npm run dev:mock` (UI work without Tauri). Never part of
// the production bundle.
import type {
  AppError,
  AppStatus,
  Created,
  Draft,
  FeedStatus,
  Followed,
  InviteInfo,
  Page,
  PeerInfo,
  PeersChanged,
  PostsArrived,
  PostView,
  ProfileEdit,
  ProfileView,
  RequestCounts,
  Result,
  Settings,
  SyncProgress,
  SyncStatus,
  TransferProgress,
  TransferSummary,
} from '../lib/bindings';

type Events = {
  postsArrived: PostsArrived;
  peersChanged: PeersChanged;
  syncProgress: SyncProgress;
  transferProgress: TransferProgress;
};
type EventName = keyof Events;
type Handler<T> = (e: { payload: T }) => void;

export type FakeAccount = { account: string; name: string | null; bio: string | null; avatar: string | null };

export type FakeState = {
  phase: AppStatus['phase'];
  home: string;
  me: FakeAccount;
  passphrase: string;
  phrase: string[];
  accounts: Map<string, FakeAccount>;
  following: string[];
  posts: PostView[];
  peers: PeerInfo[];
  feeds: FeedStatus[];
  requests: RequestCounts;
  settings: Settings;
  /** Artificial latency of every command, ms. */
  latency: number;
};

const ok = <T>(data: T): Result<T, AppError> => ({ status: 'ok', data });
const err = <T>(code: string, message: string): Result<T, AppError> => ({ status: 'error', error: { code, message } });

export const WORDS = [
  'abandon', 'orbit', 'velvet', 'harbor', 'lemon', 'quantum', 'meadow', 'cactus', 'ripple', 'saddle', 'timber',
  'uncle', 'violin', 'walnut', 'yellow', 'zebra', 'anchor', 'bronze', 'candle', 'dolphin', 'ember', 'falcon',
  'glacier', 'hollow',
];

export function fakeAccountId(seed: string): string {
  const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
  let h = 2166136261;
  let out = '';
  for (let i = 0; out.length < 52; i++) {
    h = Math.imul(h ^ (seed.charCodeAt(i % seed.length) + i), 16777619) >>> 0;
    out += alphabet[h % 32];
  }
  return `kith1${out}`;
}

let postSeq = 0;
export function fakePostId(): string {
  postSeq++;
  return `kithpost1${fakeAccountId(`post${postSeq}`).slice(5, 40)}`;
}

export function makePost(p: Partial<PostView> & { author: string }): PostView {
  return {
    id: p.id ?? fakePostId(),
    author: p.author,
    author_name: p.author_name ?? null,
    author_avatar: p.author_avatar ?? null,
    text: p.text === undefined ? 'Hello' : p.text,
    created_at: p.created_at ?? Date.now(),
    reply_to: p.reply_to ?? null,
    quote_of: p.quote_of ?? null,
    cw: p.cw ?? null,
    edited: p.edited ?? false,
    edited_at: p.edited_at ?? null,
    deleted: p.deleted ?? false,
    attachments: p.attachments ?? [],
    reactions: p.reactions ?? {},
  };
}

export function emptyState(): FakeState {
  const me: FakeAccount = { account: fakeAccountId('me'), name: null, bio: null, avatar: null };
  return {
    phase: 'new',
    home: '/home/you/.local/share/kith',
    me,
    passphrase: '',
    phrase: WORDS.slice(),
    accounts: new Map(),
    following: [],
    posts: [],
    peers: [],
    feeds: [],
    requests: { heads: 0, changes: 0, blobs: 0, request_bytes: 0, response_bytes: 0 },
    settings: { listen: [], bootstrap: [], mdns: true, theme: 'system', notifications: true },
    latency: 0,
  };
}

export function createFakeBackend(initial: FakeState = emptyState()) {
  let s = initial;
  const listeners = new Map<EventName, Set<Handler<unknown>>>();

  const wait = (): Promise<void> => (s.latency > 0 ? new Promise((r) => setTimeout(r, s.latency)) : Promise.resolve());

  function account(id: string): FakeAccount | undefined {
    return id === s.me.account ? s.me : s.accounts.get(id);
  }

  function withAuthor(p: PostView): PostView {
    const a = account(p.author);
    return { ...p, author_name: a?.name ?? p.author_name, author_avatar: a?.avatar ?? p.author_avatar };
  }

  function page(list: PostView[], limit: number, before: string | null): Page {
    const sorted = list.slice().sort((a, b) => b.created_at - a.created_at);
    const start = before === null ? 0 : sorted.findIndex((p) => p.id === before) + 1;
    const posts = sorted.slice(start, start + limit);
    const last = posts[posts.length - 1];
    return { posts: posts.map(withAuthor), next: start + limit < sorted.length && last ? last.id : null };
  }

  function mustBeReady<T>(): Result<T, AppError> | null {
    if (s.phase === 'new') return err('no_account', 'There is no account yet.');
    if (s.phase === 'locked') return err('locked', 'Kith is locked.');
    return null;
  }

  function findPost(id: string): PostView | undefined {
    return s.posts.find((p) => p.id === id);
  }

  function profileOf(id: string): ProfileView {
    const a = account(id) ?? { account: id, name: null, bio: null, avatar: null };
    return {
      account: id,
      name: a.name,
      bio: a.bio,
      avatar: a.avatar,
      posts: s.posts.filter((p) => p.author === id && !p.deleted && p.reply_to === null).length,
      following: id === s.me.account ? s.following.length : 0,
      in_home: id === s.me.account || s.following.includes(id),
    };
  }

  const commands = {
    // Infallible by contract: no Result.
    appStatus: async (): Promise<AppStatus> => {
      await wait();
      return {
        phase: s.phase,
        home: s.home,
        account: s.phase === 'new' || s.phase === 'failed' ? null : s.me.account,
        problem: s.phase === 'failed' ? 'The data directory is not writable.' : null,
      };
    },
    createAccount: async (name: string, passphrase: string): Promise<Result<Created, AppError>> => {
      await wait();
      if (s.phase !== 'new') return err('exists', 'An account already exists in this data directory.');
      s.me.name = name;
      s.passphrase = passphrase;
      s.phase = 'ready';
      return ok({ account: s.me.account, phrase: s.phrase.slice() });
    },
    restoreAccount: async (phrase: string, passphrase: string): Promise<Result<Created, AppError>> => {
      await wait();
      const words = phrase.trim().split(/\s+/);
      if (words.length !== 24) return err('bad_phrase', 'A recovery phrase has 24 words.');
      if (words.join(' ') !== s.phrase.join(' ')) return err('bad_phrase', 'This recovery phrase is not valid.');
      s.passphrase = passphrase;
      s.phase = 'ready';
      return ok({ account: s.me.account, phrase: words });
    },
    unlock: async (passphrase: string): Promise<Result<null, AppError>> => {
      await wait();
      if (passphrase !== s.passphrase) return err('wrong_passphrase', 'Wrong passphrase.');
      s.phase = 'ready';
      return ok(null);
    },
    recoveryPhrase: async (passphrase: string): Promise<Result<string[], AppError>> => {
      await wait();
      const notReady = mustBeReady<string[]>();
      if (notReady) return notReady;
      if (passphrase !== s.passphrase) return err('wrong_passphrase', 'Wrong passphrase.');
      return ok(s.phrase.slice());
    },
    timeline: async (limit: number, before: string | null): Promise<Result<Page, AppError>> => {
      await wait();
      const notReady = mustBeReady<Page>();
      if (notReady) return notReady;
      const home = new Set([s.me.account, ...s.following]);
      return ok(page(s.posts.filter((p) => home.has(p.author) && !p.deleted && p.reply_to === null), limit, before));
    },
    feed: async (accountId: string, limit: number, before: string | null): Promise<Result<Page, AppError>> => {
      await wait();
      return ok(page(s.posts.filter((p) => p.author === accountId && !p.deleted), limit, before));
    },
    thread: async (post: string): Promise<Result<Page, AppError>> => {
      await wait();
      const focus = findPost(post);
      if (!focus) return ok({ posts: [], next: null });
      const out = new Map<string, PostView>();
      // Ancestors.
      for (let cur: PostView | undefined = focus; cur; cur = cur.reply_to ? findPost(cur.reply_to) : undefined) {
        out.set(cur.id, cur);
      }
      // Descendants.
      const queue = [focus.id];
      while (queue.length > 0) {
        const id = queue.shift()!;
        for (const p of s.posts) {
          if (p.reply_to === id && !out.has(p.id)) {
            out.set(p.id, p);
            queue.push(p.id);
          }
        }
      }
      return ok({ posts: [...out.values()].map(withAuthor), next: null });
    },
    search: async (query: string, limit: number): Promise<Result<Page, AppError>> => {
      await wait();
      const fold = (t: string): string => t.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
      const q = fold(query);
      const hits = s.posts.filter((p) => !p.deleted && p.text !== null && fold(p.text).includes(q));
      return ok(page(hits, limit, null));
    },
    profile: async (accountId: string | null): Promise<Result<ProfileView, AppError>> => {
      await wait();
      return ok(profileOf(accountId ?? s.me.account));
    },
    following: async (): Promise<Result<Followed[], AppError>> => {
      await wait();
      return ok(s.following.map((a) => ({ account: a, name: account(a)?.name ?? null })));
    },
    publish: async (draft: Draft): Promise<Result<string, AppError>> => {
      await wait();
      const post = makePost({
        author: s.me.account,
        text: draft.text ?? '',
        cw: draft.cw,
        reply_to: draft.replyTo,
        quote_of: draft.quoteOf,
        attachments: draft.images.map((_, i) => `${'ab'.repeat(31)}${String(i).padStart(2, '0')}`),
      });
      s.posts.push(post);
      return ok(post.id);
    },
    react: async (post: string, reaction: string): Promise<Result<null, AppError>> => {
      await wait();
      const p = findPost(post);
      if (!p) return err('not_found', 'No such post.');
      p.reactions = { ...p.reactions, [reaction]: (p.reactions[reaction] ?? 0) + 1 };
      return ok(null);
    },
    editPost: async (post: string, text: string): Promise<Result<null, AppError>> => {
      await wait();
      const p = findPost(post);
      if (!p || p.author !== s.me.account) return err('not_yours', 'Only your own posts can be edited.');
      p.text = text;
      p.edited = true;
      p.edited_at = Date.now();
      return ok(null);
    },
    deletePost: async (post: string): Promise<Result<null, AppError>> => {
      await wait();
      const p = findPost(post);
      if (!p || p.author !== s.me.account) return err('not_yours', 'Only your own posts can be deleted.');
      p.deleted = true;
      p.text = null;
      p.attachments = [];
      return ok(null);
    },
    follow: async (accountId: string): Promise<Result<null, AppError>> => {
      await wait();
      if (!accountId.startsWith('kith1')) return err('bad_account', 'That is not a Kith account id.');
      if (!s.following.includes(accountId)) s.following.push(accountId);
      return ok(null);
    },
    unfollow: async (accountId: string): Promise<Result<null, AppError>> => {
      await wait();
      s.following = s.following.filter((a) => a !== accountId);
      return ok(null);
    },
    setProfile: async (edit: ProfileEdit): Promise<Result<ProfileView, AppError>> => {
      await wait();
      if (edit.name !== null) s.me.name = edit.name;
      if (edit.bio !== null) s.me.bio = edit.bio;
      if (edit.avatar !== null) s.me.avatar = 'cd'.repeat(32);
      return ok(profileOf(s.me.account));
    },
    peers: async (): Promise<Result<PeerInfo[], AppError>> => {
      await wait();
      return ok(s.peers.slice());
    },
    syncStatus: async (): Promise<Result<SyncStatus, AppError>> => {
      await wait();
      return ok({ feeds: s.feeds.map((f) => ({ ...f })), requests_sent: { ...s.requests } });
    },
    connect: async (addr: string): Promise<Result<string, AppError>> => {
      await wait();
      const m = /\/p2p\/([^/]+)$/.exec(addr);
      if (!m?.[1]) return err('dial_failed', 'Could not reach that address: it names no peer (/p2p/…).');
      s.peers.push({ peer_id: m[1], addr, found: 'dialled', latency_ms: 12, agent: 'kith/0.1.0' });
      return ok(m[1]);
    },
    invite: async (): Promise<Result<InviteInfo, AppError>> => {
      await wait();
      const addrs = ['/ip4/192.168.1.23/tcp/4001/p2p/12D3KooWQm3BpDy7rq7V1S5VPbn8FzeQKC8ZdaTspmh1YgKgo1Qp'];
      return ok({
        code: `kith:${s.me.account}@${addrs[0]}`,
        account: s.me.account,
        addrs,
        qrSvg:
          '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" shape-rendering="crispEdges">' +
          '<path fill="#fff" d="M0 0h29v29H0z"/><path d="M4 4h7v7H4zM18 4h7v7h-7zM4 18h7v7H4zM13 6h2v2h-2zM13 13h3v3h-3zM18 18h2v2h-2zM22 21h3v4h-3z"/></svg>',
      });
    },
    acceptInvite: async (code: string): Promise<Result<string, AppError>> => {
      await wait();
      const m = /^(?:kith:)?(kith1[0-9a-z]+)/.exec(code.trim());
      if (!m?.[1]) return err('bad_invite', 'This is not a Kith invite.');
      if (!s.following.includes(m[1])) s.following.push(m[1]);
      return ok(m[1]);
    },
    exportBundle: async (): Promise<Result<TransferSummary | null, AppError>> => {
      await wait();
      for (let done = 0; done <= 4; done++) emit('transferProgress', { phase: 'export', done, total: 4 });
      return ok({
        path: '/media/usb/kith.bundle',
        feeds: s.following.length + 1,
        changes: s.posts.length,
        duplicates: 0,
        blobs: 2,
      });
    },
    importBundle: async (): Promise<Result<TransferSummary | null, AppError>> => {
      await wait();
      return ok(null);
    },
    // Infallible by contract: no Result.
    settings: async (): Promise<Settings> => {
      await wait();
      return { ...s.settings, listen: s.settings.listen.slice(), bootstrap: s.settings.bootstrap.slice() };
    },
    saveSettings: async (settings: Settings): Promise<Result<null, AppError>> => {
      await wait();
      s.settings = settings;
      return ok(null);
    },
  };

  function channel<K extends EventName>(name: K) {
    return {
      listen: (cb: Handler<Events[K]>): Promise<() => void> => {
        let set = listeners.get(name);
        if (!set) listeners.set(name, (set = new Set()));
        const h = cb as Handler<unknown>;
        set.add(h);
        return Promise.resolve(() => {
          set.delete(h);
        });
      },
    };
  }

  const events = {
    postsArrived: channel('postsArrived'),
    peersChanged: channel('peersChanged'),
    syncProgress: channel('syncProgress'),
    transferProgress: channel('transferProgress'),
  };

  function emit<K extends EventName>(name: K, payload: Events[K]): void {
    for (const h of listeners.get(name) ?? []) h({ payload });
  }

  return {
    commands,
    events,
    emit,
    get state(): FakeState {
      return s;
    },
    /** New data; subscriptions stay (components unsubscribe themselves). */
    reset(next: FakeState = emptyState()): void {
      s = next;
    },
    listenerCount(name: EventName): number {
      return listeners.get(name)?.size ?? 0;
    },
  };
}

export type FakeBackend = ReturnType<typeof createFakeBackend>;
