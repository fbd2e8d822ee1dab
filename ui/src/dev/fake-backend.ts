// An in-memory stand-in for the Rust side, with the same surface as the
// generated bindings (`commands`, `events`). Used by the unit tests (wrapped
// in vi.fn) and by `npm run dev:mock` (UI work without Tauri). Never part of
// the production bundle.
import type {
  ActivityItem,
  ActivityKind,
  ActivityPage,
  AppError,
  AppStatus,
  Available,
  BlobArrived,
  Created,
  Draft,
  FeedStatus,
  Followed,
  FollowDirection,
  FollowPage,
  HeldFile,
  HeldRelease,
  InviteInfo,
  ListDetail,
  ListEntryView,
  ListView,
  Mark,
  ModerationNote,
  ModerationOverview,
  Page,
  LanPeers,
  ListenStatus,
  OpenActivity,
  OpenedInvite,
  OpenPost,
  InviteOpened,
  PeerInfo,
  PeersChanged,
  PersonView,
  FeedChanged,
  Policy,
  PostChange,
  PostsArrived,
  PostView,
  CountsChanged,
  ProfileEdit,
  ProfileView,
  Progress,
  Refused,
  ReleaseInfo,
  ReportView,
  RequestCounts,
  Result,
  Scope,
  Settings,
  Preference,
  ShareInfo,
  SyncProgress,
  SyncStatus,
  TransferProgress,
  TransferSummary,
  UpdateOffered,
  UpdateStatus,
} from '../lib/bindings';
import { storedDescriptions } from '../lib/describe';
import { mentionedAccounts } from '../lib/mentions';
import { parts } from '../lib/richtext';

type Events = {
  postsArrived: PostsArrived;
  countsChanged: CountsChanged;
  feedChanged: FeedChanged;
  blobArrived: BlobArrived;
  peersChanged: PeersChanged;
  syncProgress: SyncProgress;
  transferProgress: TransferProgress;
  updateOffered: UpdateOffered;
  openPost: OpenPost;
  openActivity: OpenActivity;
  inviteOpened: InviteOpened;
};
type EventName = keyof Events;
type Handler<T> = (e: { payload: T }) => void;

export type FakeAccount = { account: string; name: string | null; bio: string | null; avatar: string | null };

/** A moderation list known here: an own one, or one whose maintainer's feed arrived. */
export type FakeList = { id: string; owner: string; name: string; entries: ListEntryView[] };
/** A subscription: the labels hidden and covered (the list itself may not have arrived). */
export type FakeSubscription = { list: string; hide: string[]; warn: string[] };

export type FakeState = {
  phase: AppStatus['phase'];
  home: string;
  me: FakeAccount;
  passphrase: string;
  phrase: string[];
  accounts: Map<string, FakeAccount>;
  following: string[];
  /** Whom other accounts held here follow, oldest first (own follows are `following`). */
  followsBy: Map<string, string[]>;
  posts: PostView[];
  peers: PeerInfo[];
  /** What mDNS found on the LAN. */
  lan: LanPeers;
  /** Where the node listens. */
  listen: ListenStatus;
  feeds: FeedStatus[];
  requests: RequestCounts;
  /** Why what peers send cannot be stored (`sync_status`'s `store_failure`). */
  storeFailure: string | null;
  settings: Settings;
  blocks: Mark[];
  mutes: Mark[];
  words: Mark[];
  lists: FakeList[];
  subscriptions: FakeSubscription[];
  policy: Policy;
  /** Reports received for own lists. */
  inbox: ReportView[];
  /** Reports sent. */
  outbox: ReportView[];
  /** Share Kith and updates (see FakeRelease). */
  release: FakeRelease;
  /** Reactions by others (the posts keep only counts). */
  reactionsBy: FakeReaction[];
  /** The time of the newest activity item seen. */
  activitySeen: number;
  /** Links handed to the browser, in order. */
  openedLinks: string[];
  /** The invite link the app was opened with, waiting for the window. */
  openedInvite: OpenedInvite | null;
  /** Artificial latency of every command, ms. */
  latency: number;
};

/** A reaction someone gave a post. */
export type FakeReaction = { target: string; reaction: string; by: string; at: number };

/** The release side: what is kept to hand on, the share page, updates from peers. */
export type FakeRelease = {
  running: string;
  fingerprint: string;
  /** The release kept in the installer directory. */
  held: HeldRelease | null;
  lanAddresses: string[];
  sharing: ShareInfo | null;
  /** What the file dialog of keepPackage answers (null: cancelled). */
  picked: HeldRelease | null;
  /** The newest version peers offer. */
  available: Available | null;
  /** A newer release downloaded and verified. */
  downloaded: HeldRelease | null;
  downloading: Progress | null;
  /** Why the last download failed. */
  error: string | null;
  refused: Refused[];
  /** Versions handed to the system installer (updateInstall). */
  installed: string[];
};

/** The trusted release key's fingerprint in the fake node (six BIP-39 words). */
export const FAKE_FINGERPRINT = 'orbit-velvet-harbor-lemon-meadow-cactus';
/** The port the share page uses when none is given (as kith-share's DEFAULT_PORT). */
export const SHARE_PORT = 4180;

function fakeSha256(seed: string): string {
  // Fold the whole seed first, so names with a common start differ at once.
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  let out = '';
  for (let i = 0; out.length < 64; i++) {
    h = Math.imul(h ^ (seed.charCodeAt(i % seed.length) + i), 16777619) >>> 0;
    out += ((h >>> 8) & 0xff).toString(16).padStart(2, '0');
  }
  return out;
}

/** One package file of a fake release, as the installer directory holds it. */
export function fakeHeldFile(dir: string, name: string, size: number): HeldFile {
  return { name, size, sha256: fakeSha256(name), path: `${dir}/${name}` };
}

/** A release kept in the installer directory: by default Kith `version` as a .deb and an .rpm. */
export function fakeHeldRelease(
  version: string,
  opts: { date?: string; home?: string; kinds?: ('deb' | 'rpm')[] } = {},
): HeldRelease {
  const dir = `${opts.home ?? '/home/you/.local/share/kith'}/installer`;
  const files = (opts.kinds ?? ['deb', 'rpm']).map((k) =>
    k === 'deb'
      ? fakeHeldFile(dir, `Kith_${version}_amd64.deb`, 9_926_408)
      : fakeHeldFile(dir, `Kith-${version}-1.x86_64.rpm`, 10_342_117),
  );
  return { version, date: opts.date ?? '2026-11-23', fingerprint: FAKE_FINGERPRINT, dir, files };
}

/** Kith `version` offered by `peers` peers. */
export function fakeAvailable(version: string, peers: number, date = '2026-12-14'): Available {
  return { version, date, peers, file: `Kith_${version}_amd64.deb`, size: 10_118_522 };
}

/** The release side of a fresh node: Kith 0.1.0, nothing kept, two LAN addresses, no update. */
export function emptyRelease(): FakeRelease {
  return {
    running: '0.1.0',
    fingerprint: FAKE_FINGERPRINT,
    held: null,
    lanAddresses: ['192.168.1.23', '10.0.0.5'],
    sharing: null,
    picked: fakeHeldRelease('0.1.0'),
    available: null,
    downloaded: null,
    downloading: null,
    error: null,
    refused: [],
    installed: [],
  };
}

/** A QR code stand-in (the real one is drawn by Rust from the URL only). */
const FAKE_QR =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" shape-rendering="crispEdges">' +
  '<path fill="#fff" d="M0 0h29v29H0z"/><path d="M4 4h7v7H4zM18 4h7v7h-7zM4 18h7v7H4zM13 6h2v2h-2zM13 13h3v3h-3zM18 18h2v2h-2zM22 21h3v4h-3z"/></svg>';

/** `IP`, `IP:PORT` or `[IPv6]:PORT` → the page's URL, or null when it is not an address. */
function shareUrl(address: string): string | null {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(address);
  if (v4?.[1] && v4[1].split('.').every((n) => Number(n) <= 255)) return `http://${v4[1]}:${v4[2] ?? SHARE_PORT}/`;
  const v6port = /^\[([0-9a-fA-F:]+)\]:(\d{1,5})$/.exec(address);
  if (v6port?.[1]) return `http://[${v6port[1]}]:${v6port[2]}/`;
  if (/^[0-9a-fA-F:]+$/.test(address) && address.includes(':')) return `http://[${address}]:${SHARE_PORT}/`;
  return null;
}

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
  // 58 characters, as a real id (bech32m of 32 bytes) has after `kith1`.
  for (let i = 0; out.length < 58; i++) {
    h = Math.imul(h ^ (seed.charCodeAt(i % seed.length) + i), 16777619) >>> 0;
    out += alphabet[h % 32];
  }
  return `kith1${out}`;
}

export function fakeListId(seed: string): string {
  // fakeAccountId reads the first 58 characters only; fold the whole seed first.
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  return `kithlist1${fakeAccountId(`list:${h.toString(36)}:${seed}`).slice(5)}`;
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
    reply_to_author: p.reply_to_author ?? null,
    reply_to_name: p.reply_to_name ?? null,
    quote_of: p.quote_of ?? null,
    cw: p.cw ?? null,
    edited: p.edited ?? false,
    edited_at: p.edited_at ?? null,
    deleted: p.deleted ?? false,
    attachments: p.attachments ?? [],
    descriptions: p.descriptions ?? [],
    replies: p.replies ?? 0,
    reposts: p.reposts ?? 0,
    reactions: p.reactions ?? {},
    my_reactions: p.my_reactions ?? [],
    moderation: p.moderation ?? null,
    mentions: p.mentions ?? [],
  };
}

export const FAKE_LABELS = ['spam', 'harassment', 'violence', 'sexual', 'misleading', 'other'];
const BECH32 = /^[02-9ac-hj-np-z]{6,}$/;
const bytes = (t: string): number => new TextEncoder().encode(t).length;

/** Whole words of a text, lower case, hashtags kept with their `#`. */
function wordsOf(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}#_]+/u).filter(Boolean);
}

/** A muted word matches itself as a whole word, and its #hashtag. */
function hasWord(tokens: readonly string[], word: string): boolean {
  return tokens.includes(word) || (!word.startsWith('#') && tokens.includes(`#${word}`));
}

/** The addresses a node listens on when its settings name none. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/udp/0/quic-v1'];

/** Where a node asked to listen on `addrs` listens: every interface is the
 * LAN address, a port 0 the port the system picked. */
export function fakeListening(addrs: string[]): ListenStatus {
  const wanted = addrs.length > 0 ? addrs.slice() : DEFAULT_LISTEN.slice();
  const listening = wanted.flatMap((a) => {
    const resolved = a.replace(/\/(tcp|udp)\/0(?=\/|$)/, '/$1/4001');
    return resolved.startsWith('/ip4/0.0.0.0/')
      ? [resolved.replace('0.0.0.0', '127.0.0.1'), resolved.replace('0.0.0.0', '192.168.1.23')]
      : [resolved];
  });
  return { wanted, listening, problem: null };
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
    followsBy: new Map(),
    posts: [],
    peers: [],
    lan: { enabled: true, peers: [] },
    listen: fakeListening([]),
    feeds: [],
    requests: { heads: 0, changes: 0, blobs: 0, request_bytes: 0, response_bytes: 0 },
    storeFailure: null,
    settings: {
      listen: [],
      bootstrap: [],
      mdns: true,
      theme: 'system',
      notifications: true,
      lockAfterMinutes: 0,
      zoom: 100,
    },
    blocks: [],
    mutes: [],
    words: [],
    lists: [],
    subscriptions: [],
    policy: { scope: 'follows', peer_rate: 1200 },
    inbox: [],
    outbox: [],
    release: emptyRelease(),
    reactionsBy: [],
    activitySeen: 0,
    openedLinks: [],
    openedInvite: null,
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
    const mentions = mentionedAccounts(p.text ?? '').map((id) => ({ account: id, name: account(id)?.name ?? null }));
    // As the store does: the author answered, from the post answered (an id
    // the fake cannot decode), with the name known here.
    const parent = p.reply_to ? findPost(p.reply_to) : undefined;
    const replyTo = parent?.author ?? p.reply_to_author;
    const reply = { reply_to_author: replyTo, reply_to_name: replyTo ? (account(replyTo)?.name ?? null) : null };
    return {
      ...p,
      ...reply,
      author_name: a?.name ?? p.author_name,
      author_avatar: a?.avatar ?? p.author_avatar,
      mentions,
    };
  }

  // ---- Activity: what others did with the own account and its posts.

  function activityItems(): ActivityItem[] {
    const me = s.me.account;
    const mine = (id: string | null): PostView | undefined => {
      const p = id ? findPost(id) : undefined;
      return p && p.author === me ? p : undefined;
    };
    const shown = (p: PostView): PostView | null => {
      const j = judged(p, 'list');
      return j && !p.deleted ? j : null;
    };
    const actor = (id: string) => ({ actor: id, actor_name: account(id)?.name ?? null, actor_avatar: account(id)?.avatar ?? null });
    const items: ActivityItem[] = [];
    for (const p of s.posts) {
      if (p.author === me) continue;
      const view = shown(p);
      if (!view) continue;
      const parent = mine(p.reply_to);
      const quoted = mine(p.quote_of);
      let kind: ActivityKind | null = null;
      let target: PostView | undefined;
      if (parent) [kind, target] = ['reply', parent];
      else if (quoted) [kind, target] = [p.text === null ? 'repost' : 'quote', quoted];
      else if (mentionedAccounts(p.text ?? '').includes(me)) kind = 'mention';
      if (kind === null) continue;
      items.push({ kind, at: p.created_at, ...actor(p.author), reaction: null, post: view, target: target ? withAuthor(target) : null });
    }
    for (const r of s.reactionsBy) {
      const target = mine(r.target);
      if (!target || target.deleted || r.by === me || blocked(r.by) || muted(r.by)) continue;
      items.push({ kind: 'reaction', at: r.at, ...actor(r.by), reaction: r.reaction, post: null, target: withAuthor(target) });
    }
    return items.sort((a, b) => b.at - a.at);
  }

  // ---- Moderation: how the node judges what it shows (see kith_store::moderation).

  const blocked = (id: string): boolean => s.blocks.some((m) => m.target === id);
  /** Case and accents folded, as the node's search index folds them. */
  const fold = (t: string): string => t.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const muted = (id: string): boolean => s.mutes.some((m) => m.target === id);

  function listedReasons(targets: { id: string; post: boolean }[]): { hide: string[]; warn: string[] } {
    const hide: string[] = [];
    const warn: string[] = [];
    for (const sub of s.subscriptions) {
      const list = s.lists.find((l) => l.id === sub.list);
      if (!list) continue;
      for (const t of targets) {
        const entry = list.entries.find((e) => e.target === t.id);
        if (!entry) continue;
        const because = entry.reason === '' ? '' : ` — ${entry.reason}`;
        for (const label of entry.labels) {
          const line = (verb: string): string =>
            `${verb} by list “${list.name}”: ${label}${t.post ? ' (this post)' : ''}${because}`;
          if (sub.hide.includes(label)) hide.push(line('hidden'));
          else if (sub.warn.includes(label)) warn.push(line('covered'));
        }
      }
    }
    return { hide, warn };
  }

  function note(hide: string[], warn: string[]): ModerationNote | null {
    if (hide.length > 0) return { action: 'hide', reasons: [...hide, ...warn] };
    if (warn.length > 0) return { action: 'warn', reasons: warn };
    return null;
  }

  function judgeAccount(id: string): ModerationNote | null {
    if (id === s.me.account) return null;
    const { hide, warn } = listedReasons([{ id, post: false }]);
    if (muted(id)) hide.unshift('you muted this account');
    return note(hide, warn);
  }

  function judgePost(p: PostView): ModerationNote | null {
    if (p.author === s.me.account) return null;
    // Sample data and tests may set a verdict directly.
    if (p.moderation) return p.moderation;
    const { hide, warn } = listedReasons([
      { id: p.author, post: false },
      { id: p.id, post: true },
    ]);
    if (muted(p.author)) hide.unshift('you muted this account');
    const tokens = wordsOf(`${p.text ?? ''} ${p.cw ?? ''}`);
    for (const w of s.words) if (hasWord(tokens, w.target)) hide.push(`you muted the word “${w.target}”`);
    return note(hide, warn);
  }

  /**
   * A post as a view shows it, or null when left out. Timelines and search
   * leave hidden posts out; threads show a placeholder; a profile covers them.
   */
  function judged(p: PostView, view: 'list' | 'thread' | 'profile'): PostView | null {
    if (blocked(p.author)) return null;
    const verdict = judgePost(p);
    // Counted as the node counts: replies and reposts (with quotes) held, not deleted.
    const replies = s.posts.filter((x) => x.reply_to === p.id && !x.deleted).length;
    const reposts = s.posts.filter((x) => x.quote_of === p.id && !x.deleted).length;
    const post = withAuthor({ ...p, moderation: verdict, replies, reposts });
    if (verdict?.action !== 'hide') return post;
    if (view === 'list') return null;
    if (view === 'profile') return { ...post, moderation: { ...verdict, action: 'warn' } };
    return { ...post, text: null, cw: null, attachments: [], descriptions: [], reactions: {}, my_reactions: [] };
  }

  function page(
    list: PostView[],
    limit: number,
    before: string | null,
    view: 'list' | 'profile' = 'list',
  ): Page {
    const shown = list.map((p) => judged(p, view)).filter((p): p is PostView => p !== null);
    const sorted = shown.sort((a, b) => b.created_at - a.created_at);
    const start = before === null ? 0 : sorted.findIndex((p) => p.id === before) + 1;
    const posts = sorted.slice(start, start + limit);
    const last = posts[posts.length - 1];
    return { posts, next: start + limit < sorted.length && last ? last.id : null };
  }

  function mark(id: string, publicly: boolean): Mark {
    return { target: id, name: account(id)?.name ?? null, public: publicly, since: Date.now() };
  }

  function listView(id: string): ListView {
    const list = s.lists.find((l) => l.id === id);
    const sub = s.subscriptions.find((x) => x.list === id);
    return {
      id,
      name: list?.name ?? null,
      owner_name: list ? (account(list.owner)?.name ?? null) : null,
      entries: list?.entries.length ?? 0,
      hide: sub?.hide.slice() ?? [],
      warn: sub?.warn.slice() ?? [],
      subscribed: sub !== undefined,
    };
  }

  function listDetailOf(id: string): ListDetail {
    const list = s.lists.find((l) => l.id === id);
    return {
      list: listView(id),
      entries: (list?.entries ?? [])
        .map((e) => ({ ...e, labels: e.labels.slice(), name: account(e.target)?.name ?? e.name }))
        .sort((a, b) => b.created_at - a.created_at),
      own: list?.owner === s.me.account,
    };
  }

  function badAccount<T>(id: string): Result<T, AppError> | null {
    return id.startsWith('kith1') && BECH32.test(id.slice(5)) ? null : err('invalid', `not an account id: ${id}`);
  }

  function badList<T>(id: string): Result<T, AppError> | null {
    return id.startsWith('kithlist1') && BECH32.test(id.slice(9)) ? null : err('invalid', `not a list id: ${id}`);
  }

  function badTarget<T>(id: string): Result<T, AppError> | null {
    const ok = (id.startsWith('kithpost1') && BECH32.test(id.slice(9))) || (id.startsWith('kith1') && BECH32.test(id.slice(5)));
    return ok ? null : err('invalid', `not an account or post id: ${id}`);
  }

  function unknownLabel<T>(labels: string[]): Result<T, AppError> | null {
    const unknown = labels.find((l) => !FAKE_LABELS.includes(l));
    return unknown === undefined ? null : err('invalid', `unknown label “${unknown}”`);
  }

  function badLabels<T>(labels: string[], what: string): Result<T, AppError> | null {
    const unknown = unknownLabel<T>(labels);
    if (unknown) return unknown;
    if (labels.length === 0) {
      return err('invalid', `${what} needs at least one label (spam, harassment, violence, sexual, misleading, other)`);
    }
    return null;
  }

  function badReason<T>(reason: string): Result<T, AppError> | null {
    return bytes(reason) > 1000 ? err('invalid', `the reason is ${bytes(reason)} bytes; at most 1000 are allowed`) : null;
  }

  function ownList<T>(id: string): Result<T, AppError> | null {
    const list = s.lists.find((l) => l.id === id);
    if (list && list.owner !== s.me.account) {
      return err('invalid', `list ${id} is maintained by another account; only its maintainer can change it`);
    }
    return list ? null : err('not_found', `not found: list ${id}`);
  }

  function addEntry(listId: string, target: string, labels: string[], reason: string): void {
    const list = s.lists.find((l) => l.id === listId);
    if (!list) return;
    const entry: ListEntryView = {
      target,
      name: account(target)?.name ?? null,
      labels: FAKE_LABELS.filter((l) => labels.includes(l)),
      reason: reason.trim(),
      created_at: Date.now(),
    };
    list.entries = [entry, ...list.entries.filter((e) => e.target !== target)];
  }

  let reportSeq = 0;
  const reportId = (): string => (++reportSeq).toString(16).padStart(16, '0') + Date.now().toString(16);

  function mustBeReady<T>(): Result<T, AppError> | null {
    if (s.phase === 'new') return err('no_account', 'There is no account yet.');
    if (s.phase === 'locked') return err('locked', 'Kith is locked.');
    return null;
  }

  function updateStatusOf(): UpdateStatus {
    const r = s.release;
    return structuredClone({
      running: r.running,
      fingerprint: r.fingerprint,
      available: r.available,
      downloaded: r.downloaded,
      downloading: r.downloading,
      error: r.error,
      refused: r.refused,
    });
  }

  function findPost(id: string): PostView | undefined {
    return s.posts.find((p) => p.id === id);
  }

  /** Whom `id` follows, oldest first. */
  function followsOf(id: string): string[] {
    return id === s.me.account ? s.following : (s.followsBy.get(id) ?? []);
  }

  /** The accounts held here that follow `id`. */
  function followersOf(id: string): string[] {
    return [s.me.account, ...s.accounts.keys()].filter((a) => followsOf(a).includes(id));
  }

  /** Whether an account's feed is here (own, or a known account). */
  function held(id: string): boolean {
    return id === s.me.account || s.accounts.has(id);
  }

  function profileOf(id: string): ProfileView {
    const a = account(id) ?? { account: id, name: null, bio: null, avatar: null };
    return {
      account: id,
      name: a.name,
      bio: a.bio,
      avatar: a.avatar,
      // As the node: every post not deleted, replies too.
      posts: s.posts.filter((p) => p.author === id && !p.deleted).length,
      following: followsOf(id).length,
      followers: followersOf(id).length,
      held: held(id),
      follows_you: id !== s.me.account && followsOf(id).includes(s.me.account),
      in_home: id === s.me.account || s.following.includes(id),
      blocked: blocked(id),
      muted: muted(id),
      moderation: blocked(id) ? null : judgeAccount(id),
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
        name: s.phase === 'locked' ? s.me.name : null,
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
    resetPassphrase: async (phrase: string, passphrase: string): Promise<Result<null, AppError>> => {
      await wait();
      if (s.phase === 'ready') return err('already_unlocked', 'the account is open');
      const words = phrase.trim().split(/\s+/);
      if (words.length !== 24) return err('bad_phrase', 'A recovery phrase has 24 words.');
      if (words.join(' ') !== s.phrase.join(' ')) {
        return err('other_account', 'that recovery phrase is of another account, not of this one');
      }
      if (passphrase === '') return err('invalid', 'the passphrase must not be empty');
      s.passphrase = passphrase;
      s.phase = 'ready';
      return ok(null);
    },
    changePassphrase: async (current: string, next: string): Promise<Result<null, AppError>> => {
      await wait();
      const notReady = mustBeReady<null>();
      if (notReady) return notReady;
      if (current !== s.passphrase) return err('wrong_passphrase', 'Wrong passphrase.');
      if (next === '') return err('invalid', 'the passphrase must not be empty');
      s.passphrase = next;
      return ok(null);
    },
    lock: async (): Promise<Result<null, AppError>> => {
      await wait();
      const notReady = mustBeReady<null>();
      if (notReady) return notReady;
      s.phase = 'locked';
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
      // As the node (Store::timeline): every post of the home feeds, replies too.
      const home = new Set([s.me.account, ...s.following]);
      return ok(page(s.posts.filter((p) => home.has(p.author) && !p.deleted), limit, before));
    },
    activity: async (limit: number, before: string | null): Promise<Result<ActivityPage, AppError>> => {
      await wait();
      const notReady = mustBeReady<ActivityPage>();
      if (notReady) return notReady;
      const all = activityItems();
      const start = before === null ? 0 : Number(before);
      if (!Number.isInteger(start) || start < 0) return err('invalid', `not a cursor: ${before}`);
      const items = all.slice(start, start + limit);
      return ok({ items, next: start + limit < all.length ? String(start + limit) : null });
    },
    activityUnread: async (): Promise<Result<number, AppError>> => {
      await wait();
      const notReady = mustBeReady<number>();
      if (notReady) return notReady;
      return ok(Math.min(100, activityItems().filter((i) => i.at > s.activitySeen).length));
    },
    imageHeld: async (hash: string): Promise<Result<boolean, AppError>> => {
      await wait();
      const notReady = mustBeReady<boolean>();
      if (notReady) return notReady;
      if (!/^[0-9a-f]{64}$/.test(hash)) return err('invalid', `not an image hash: "${hash}"`);
      // Only this account's own pictures are on this computer here.
      return ok(s.posts.some((p) => p.author === s.me.account && p.attachments.includes(hash)));
    },
    markActivitySeen: async (at: number): Promise<Result<null, AppError>> => {
      await wait();
      s.activitySeen = Math.max(s.activitySeen, at);
      return ok(null);
    },
    takeOpenedInvite: async (): Promise<OpenedInvite | null> => {
      await wait();
      const opened = s.openedInvite;
      s.openedInvite = null;
      return opened;
    },
    openLink: async (url: string): Promise<Result<null, AppError>> => {
      await wait();
      if (!/^https?:\/\/[^\s/@]+/.test(url)) return err('invalid', `not a web address: ${url}`);
      s.openedLinks.push(url);
      return ok(null);
    },
    peopleNamed: async (query: string): Promise<Result<PersonView[], AppError>> => {
      await wait();
      // As the node: a part of the name as written (ASCII case ignored),
      // or the beginning of its words with case and accents folded.
      const q = query.trim().toLowerCase();
      const words = (t: string): string =>
        fold(t)
          .replace(/[^\p{L}\p{N}]+/gu, ' ')
          .trim();
      const begins = (name: string): boolean => words(q) !== '' && ` ${words(name)}`.includes(` ${words(q)}`);
      const people = [...s.accounts.values()]
        .filter((a) => a.name !== null && (a.name.toLowerCase().includes(q) || begins(a.name)))
        .filter((a) => a.account !== s.me.account && !blocked(a.account) && !muted(a.account))
        .map((a) => ({ account: a.account, name: a.name ?? '', avatar: a.avatar, followed: s.following.includes(a.account) }));
      const rank = (p: PersonView): number => (p.followed ? 0 : p.name.toLowerCase().startsWith(q) ? 1 : 2);
      people.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
      return ok(people.slice(0, 8));
    },
    feed: async (accountId: string, limit: number, before: string | null): Promise<Result<Page, AppError>> => {
      await wait();
      return ok(page(s.posts.filter((p) => p.author === accountId && !p.deleted), limit, before, 'profile'));
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
      const posts = [...out.values()].map((p) => judged(p, 'thread')).filter((p): p is PostView => p !== null);
      return ok({ posts, next: null });
    },
    posts: async (ids: string[]): Promise<Result<PostView[], AppError>> => {
      await wait();
      if (ids.length > 100) return err('invalid', `at most 100 posts are read at once, not ${ids.length}`);
      return ok(
        ids
          .map((id) => findPost(id))
          .map((p) => (p ? judged(p, 'thread') : null))
          .filter((p): p is PostView => p !== null),
      );
    },
    search: async (query: string, limit: number, before: string | null): Promise<Result<Page, AppError>> => {
      await wait();
      // As the node: every word (case and accents folded); a word written
      // as a #tag only where the post uses it as a tag.
      const words = query.split(/\s+/).filter((w) => w !== '');
      const tags = words.filter((w) => w.length > 1 && w.startsWith('#')).map((w) => fold(w.slice(1)));
      const tagsOf = (text: string): string[] =>
        parts(text, []).flatMap((p) => (p.kind === 'tag' ? [fold(p.tag)] : []));
      const hits = s.posts.filter(
        (p) =>
          !p.deleted &&
          p.text !== null &&
          words.every((w) => fold(p.text ?? '').includes(fold(w.replace(/^#/, '')))) &&
          tags.every((t) => tagsOf(p.text ?? '').includes(t)),
      );
      return ok(page(hits, limit, before));
    },
    profile: async (accountId: string | null): Promise<Result<ProfileView, AppError>> => {
      await wait();
      return ok(profileOf(accountId ?? s.me.account));
    },
    follows: async (
      accountId: string | null,
      direction: FollowDirection,
      limit: number,
      before: string | null,
    ): Promise<Result<FollowPage, AppError>> => {
      await wait();
      if (limit < 1 || limit > 500) return err('invalid', `a page holds 1 to 500 posts, not ${limit}`);
      const who = accountId ?? s.me.account;
      const all = direction === 'following' ? followsOf(who).slice().reverse() : followersOf(who);
      // As the node: after the account the cursor names (this list has no
      // times; its order stands in for them).
      const start = before === null ? 0 : all.indexOf(before) + 1;
      if (before !== null && start === 0) return err('bad_cursor', `bad cursor ${before}`);
      const read = all.slice(start, start + limit);
      const accounts = read
        .filter((a) => !blocked(a) && !muted(a))
        .map((a) => ({
          account: a,
          name: account(a)?.name ?? null,
          avatar: account(a)?.avatar ?? null,
          held: held(a),
          followed: s.following.includes(a),
          since: 0,
        }));
      const last = read[read.length - 1];
      return ok({ accounts, next: read.length === limit && last !== undefined ? last : null });
    },
    following: async (): Promise<Result<Followed[], AppError>> => {
      await wait();
      return ok(s.following.map((a) => ({ account: a, name: account(a)?.name ?? null })));
    },
    publish: async (draft: Draft): Promise<Result<string, AppError>> => {
      await wait();
      if ((draft.text ?? '').trim() === '' && draft.quoteOf === null && draft.images.length === 0) {
        return err('invalid', 'a post needs some text or an image');
      }
      const post = makePost({
        author: s.me.account,
        text: draft.text ?? '',
        cw: draft.cw,
        reply_to: draft.replyTo,
        quote_of: draft.quoteOf,
        attachments: draft.images.map((_, i) => `${'ab'.repeat(31)}${String(i).padStart(2, '0')}`),
        descriptions: draft.descriptions.slice(),
      });
      s.posts.push(post);
      return ok(post.id);
    },
    react: async (post: string, reaction: string): Promise<Result<null, AppError>> => {
      await wait();
      const p = findPost(post);
      if (!p) return err('not_found', 'No such post.');
      if (p.my_reactions.includes(reaction)) return ok(null); // one per person and emoji
      p.reactions = { ...p.reactions, [reaction]: (p.reactions[reaction] ?? 0) + 1 };
      p.my_reactions = [...p.my_reactions, reaction];
      return ok(null);
    },
    unreact: async (post: string, reaction: string): Promise<Result<null, AppError>> => {
      await wait();
      const p = findPost(post);
      if (!p) return err('not_found', 'No such post.');
      if (!p.my_reactions.includes(reaction)) {
        return err('invalid', `you have not reacted ${reaction} to post ${post}`);
      }
      p.reactions = { ...p.reactions, [reaction]: (p.reactions[reaction] ?? 1) - 1 };
      p.my_reactions = p.my_reactions.filter((r) => r !== reaction);
      return ok(null);
    },
    editPost: async (post: string, change: PostChange): Promise<Result<null, AppError>> => {
      await wait();
      const p = findPost(post);
      if (!p || p.author !== s.me.account) return err('not_yours', 'Only your own posts can be edited.');
      if (change.text.trim() === '' && p.attachments.length === 0) {
        return err('invalid', 'a post without images needs some text');
      }
      if (change.descriptions.length > p.attachments.length) {
        return err(
          'invalid',
          `${change.descriptions.length} image descriptions for a post with ${p.attachments.length} images: describe each image at most once`,
        );
      }
      p.text = change.text;
      p.cw = change.cw.trim() === '' ? null : change.cw.trim();
      p.descriptions = storedDescriptions(change.descriptions, p.attachments.length);
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
      p.descriptions = [];
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
    lanPeers: async (): Promise<Result<LanPeers, AppError>> => {
      await wait();
      return ok({ enabled: s.lan.enabled, peers: s.lan.peers.map((p) => ({ ...p, addrs: p.addrs.slice() })) });
    },
    listenStatus: async (): Promise<Result<ListenStatus, AppError>> => {
      await wait();
      return ok({ ...s.listen, wanted: s.listen.wanted.slice(), listening: s.listen.listening.slice() });
    },
    syncStatus: async (): Promise<Result<SyncStatus, AppError>> => {
      await wait();
      return ok({ feeds: s.feeds.map((f) => ({ ...f })), requests_sent: { ...s.requests }, store_failure: s.storeFailure });
    },
    connect: async (addr: string): Promise<Result<string, AppError>> => {
      await wait();
      const m = /\/p2p\/([^/]+)$/.exec(addr);
      if (!m?.[1]) return err('dial_failed', 'Could not reach that address: it names no peer (/p2p/…).');
      s.peers.push({ peer_id: m[1], addr, found: 'dialled', latency_ms: 12, agent: 'kith/0.1.0', account: null, name: null });
      const lan = s.lan.peers.find((p) => p.peer_id === m[1]);
      if (lan) Object.assign(lan, { state: 'connected', error: null });
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
      // The zoom stays as setZoom left it, as in the app.
      s.settings = { ...settings, zoom: s.settings.zoom };
      // Everything applies at once, as in the app.
      s.lan = { enabled: settings.mdns, peers: settings.mdns ? s.lan.peers : [] };
      s.listen = fakeListening(settings.listen);
      return ok(null);
    },
    quit: async (): Promise<void> => {
      await wait();
    },
    setPreference: async (preference: Preference): Promise<Result<null, AppError>> => {
      await wait();
      switch (preference.name) {
        case 'theme':
          s.settings = { ...s.settings, theme: preference.value };
          break;
        case 'notifications':
          s.settings = { ...s.settings, notifications: preference.value };
          break;
        case 'lockAfterMinutes':
          // As settings.rs: at most a day.
          if (preference.value > 24 * 60) {
            return err('invalid', `the lock after inactivity waits at most 1440 minutes, not ${preference.value}`);
          }
          s.settings = { ...s.settings, lockAfterMinutes: preference.value };
          break;
      }
      return ok(null);
    },
    setZoom: async (percent: number): Promise<Result<null, AppError>> => {
      await wait();
      // The app takes its own steps only (settings.rs, ZOOM_STEPS); the
      // fake, which cannot import values from the bindings it stands in
      // for, takes their range.
      if (!Number.isInteger(percent) || percent < 50 || percent > 200)
        return err('invalid', `the zoom is between 50 and 200 percent, not ${percent}`);
      s.settings = { ...s.settings, zoom: percent };
      return ok(null);
    },

    // ---- Moderation.
    block: async (accountId: string, publicly: boolean): Promise<Result<null, AppError>> => {
      await wait();
      const bad = badAccount<null>(accountId);
      if (bad) return bad;
      if (accountId === s.me.account) return err('invalid', 'you cannot block yourself');
      // Everything stored of the account goes: posts, follow, its lists.
      s.blocks = [mark(accountId, publicly), ...s.blocks.filter((m) => m.target !== accountId)];
      s.following = s.following.filter((a) => a !== accountId);
      s.posts = s.posts.filter((p) => p.author !== accountId);
      s.lists = s.lists.filter((l) => l.owner !== accountId);
      return ok(null);
    },
    unblock: async (accountId: string): Promise<Result<null, AppError>> => {
      await wait();
      if (!blocked(accountId)) return err('invalid', `you do not block ${accountId}`);
      s.blocks = s.blocks.filter((m) => m.target !== accountId);
      return ok(null);
    },
    mute: async (accountId: string, publicly: boolean): Promise<Result<null, AppError>> => {
      await wait();
      const bad = badAccount<null>(accountId);
      if (bad) return bad;
      if (accountId === s.me.account) return err('invalid', 'you cannot mute yourself');
      s.mutes = [mark(accountId, publicly), ...s.mutes.filter((m) => m.target !== accountId)];
      return ok(null);
    },
    unmute: async (accountId: string): Promise<Result<null, AppError>> => {
      await wait();
      if (!muted(accountId)) return err('invalid', `you do not mute ${accountId}`);
      s.mutes = s.mutes.filter((m) => m.target !== accountId);
      return ok(null);
    },
    muteWord: async (word: string, publicly: boolean): Promise<Result<string, AppError>> => {
      await wait();
      const w = word.trim().toLowerCase();
      if (w === '' || bytes(w) > 64) return err('invalid', 'a muted word must be 1 to 64 bytes');
      if (/[\s\p{Cc}]/u.test(w)) return err('invalid', 'a muted word is one lower-case word or #hashtag, without spaces');
      s.words = [{ target: w, name: null, public: publicly, since: Date.now() }, ...s.words.filter((m) => m.target !== w)];
      return ok(w);
    },
    unmuteWord: async (word: string): Promise<Result<string, AppError>> => {
      await wait();
      const w = word.trim().toLowerCase();
      if (!s.words.some((m) => m.target === w)) return err('invalid', `you do not mute “${w}”`);
      s.words = s.words.filter((m) => m.target !== w);
      return ok(w);
    },
    moderation: async (): Promise<Result<ModerationOverview, AppError>> => {
      await wait();
      const notReady = mustBeReady<ModerationOverview>();
      if (notReady) return notReady;
      const withName = (m: Mark): Mark => ({ ...m, name: account(m.target)?.name ?? m.name });
      return ok({
        marks: { blocks: s.blocks.map(withName), mutes: s.mutes.map(withName), words: s.words.map((m) => ({ ...m })) },
        own_lists: s.lists.filter((l) => l.owner === s.me.account).map((l) => listView(l.id)),
        subscriptions: s.subscriptions.map((x) => listView(x.list)),
        policy: { ...s.policy },
        open_reports: s.inbox.filter((r) => r.status === 'open').length,
      });
    },
    createList: async (name: string): Promise<Result<ListDetail, AppError>> => {
      await wait();
      const n = name.trim();
      if (n === '' || bytes(n) > 64) return err('invalid', 'a list name must be 1 to 64 bytes');
      const id = fakeListId(`${s.me.account}:${n}:${s.lists.length}`);
      s.lists.push({ id, owner: s.me.account, name: n, entries: [] });
      return ok(listDetailOf(id));
    },
    listDetail: async (list: string): Promise<Result<ListDetail, AppError>> => {
      await wait();
      const bad = badList<ListDetail>(list);
      if (bad) return bad;
      const view = listView(list);
      if (view.name === null && !view.subscribed) {
        return err('not_found', `not found: list ${list} (subscribe to it, or wait until its maintainer's feed arrives)`);
      }
      return ok(listDetailOf(list));
    },
    listAdd: async (list: string, target: string, labels: string[], reason: string): Promise<Result<ListDetail, AppError>> => {
      await wait();
      const bad =
        badList<ListDetail>(list) ??
        badTarget<ListDetail>(target) ??
        badLabels<ListDetail>(labels, 'a list entry') ??
        ownList<ListDetail>(list) ??
        badReason<ListDetail>(reason);
      if (bad) return bad;
      addEntry(list, target, labels, reason);
      return ok(listDetailOf(list));
    },
    listRemove: async (list: string, target: string): Promise<Result<ListDetail, AppError>> => {
      await wait();
      const bad = badList<ListDetail>(list) ?? badTarget<ListDetail>(target) ?? ownList<ListDetail>(list);
      if (bad) return bad;
      const l = s.lists.find((x) => x.id === list)!;
      if (!l.entries.some((e) => e.target === target)) return err('not_found', `not found: ${target} on list ${list}`);
      l.entries = l.entries.filter((e) => e.target !== target);
      return ok(listDetailOf(list));
    },
    subscribeList: async (list: string, hide: string[], warn: string[]): Promise<Result<ListView, AppError>> => {
      await wait();
      const bad = badList<ListView>(list) ?? unknownLabel<ListView>([...hide, ...warn]);
      if (bad) return bad;
      const owner = s.lists.find((l) => l.id === list)?.owner;
      if (owner && blocked(owner)) {
        return err('invalid', `you block ${owner}, the maintainer of this list; unblock them first`);
      }
      if (hide.some((l) => warn.includes(l))) return err('invalid', 'a label is either hidden or covered, not both');
      const sub = { list, hide: FAKE_LABELS.filter((l) => hide.includes(l)), warn: FAKE_LABELS.filter((l) => warn.includes(l)) };
      const i = s.subscriptions.findIndex((x) => x.list === list);
      if (i === -1) s.subscriptions.push(sub);
      else s.subscriptions[i] = sub;
      return ok(listView(list));
    },
    unsubscribeList: async (list: string): Promise<Result<null, AppError>> => {
      await wait();
      if (!s.subscriptions.some((x) => x.list === list)) return err('invalid', `you do not subscribe to ${list}`);
      s.subscriptions = s.subscriptions.filter((x) => x.list !== list);
      return ok(null);
    },
    report: async (target: string, labels: string[], text: string, to: string | null): Promise<Result<ReportView[], AppError>> => {
      await wait();
      const bad =
        badTarget<ReportView[]>(target) ??
        badLabels<ReportView[]>(labels, 'a report') ??
        badReason<ReportView[]>(text) ??
        (to === null ? null : badList<ReportView[]>(to));
      if (bad) return bad;
      const lists = to === null ? s.subscriptions.map((x) => x.list) : [to];
      if (lists.length === 0) return err('invalid', 'you subscribe to no list; name one with --to LIST');
      const sent: ReportView[] = [];
      for (const list of lists) {
        if (s.lists.find((l) => l.id === list)?.owner === s.me.account) {
          return err('invalid', `list ${list} is your own; add the entry with \`kith list add\` instead`);
        }
        sent.push({
          id: reportId(),
          list,
          list_name: listView(list).name,
          reporter: s.me.account,
          reporter_name: s.me.name,
          target,
          labels: FAKE_LABELS.filter((l) => labels.includes(l)),
          text: text.trim(),
          created_at: Date.now(),
          status: 'queued',
        });
      }
      s.outbox = [...sent, ...s.outbox];
      return ok(sent.map((r) => ({ ...r })));
    },
    reports: async (all: boolean): Promise<Result<ReportView[], AppError>> => {
      await wait();
      const shown = s.inbox.filter((r) => all || r.status === 'open');
      return ok(shown.map((r) => ({ ...r, labels: r.labels.slice() })).sort((a, b) => b.created_at - a.created_at));
    },
    sentReports: async (): Promise<Result<ReportView[], AppError>> => {
      await wait();
      return ok(s.outbox.map((r) => ({ ...r, labels: r.labels.slice() })).sort((a, b) => b.created_at - a.created_at));
    },
    resolveReport: async (id: string, accept: boolean): Promise<Result<ReportView, AppError>> => {
      await wait();
      const r = s.inbox.find((x) => x.id === id);
      if (!r) return err('not_found', `not found: report ${id}`);
      if (accept) {
        const bad = ownList<ReportView>(r.list);
        if (bad) return bad;
        addEntry(r.list, r.target, r.labels, r.text);
      }
      r.status = accept ? 'accepted' : 'dismissed';
      return ok({ ...r, labels: r.labels.slice() });
    },
    setPolicy: async (scope: Scope, peerRate: number): Promise<Result<Policy, AppError>> => {
      await wait();
      if (!Number.isInteger(peerRate) || peerRate < 0) return err('ipc', `invalid peer rate: ${peerRate}`);
      if (peerRate === 0) {
        return err('invalid', 'a peer rate of 0 would refuse every pushed change; give at least 1');
      }
      s.policy = { scope, peer_rate: peerRate };
      return ok({ ...s.policy });
    },

    // ---- Share Kith and updates (see src-tauri/src/release.rs).
    releaseInfo: async (): Promise<Result<ReleaseInfo, AppError>> => {
      await wait();
      const r = s.release;
      // The page stops by itself when its minutes are up.
      if (r.sharing && r.sharing.until <= Date.now()) r.sharing = null;
      return ok(
        structuredClone({
          running: r.running,
          fingerprint: r.fingerprint,
          held: r.held,
          lanAddresses: r.lanAddresses,
          sharing: r.sharing,
        }),
      );
    },
    keepPackage: async (): Promise<Result<HeldRelease | null, AppError>> => {
      await wait();
      const picked = s.release.picked;
      if (!picked) return ok(null);
      const held = s.release.held;
      if (held && held.version === picked.version) {
        // Another file of the same release joins the ones kept.
        const names = new Set(held.files.map((f) => f.name));
        held.files.push(...picked.files.filter((f) => !names.has(f.name)).map((f) => ({ ...f })));
      } else {
        s.release.held = structuredClone(picked);
      }
      return ok(structuredClone(s.release.held));
    },
    shareStart: async (address: string, minutes: number): Promise<Result<ShareInfo, AppError>> => {
      await wait();
      // Tauri refuses what is not a u32 before the command runs.
      if (!Number.isInteger(minutes) || minutes < 0 || minutes > 0xffffffff) {
        return err('ipc', `invalid args \`minutes\` for command \`share_start\`: ${minutes}`);
      }
      const r = s.release;
      const a = address.trim();
      let url: string | null;
      if (a === '') {
        const [one, ...more] = r.lanAddresses;
        if (!one) {
          return err('invalid', 'this machine has no LAN address: connect to a network, or choose where to listen with --listen ADDR');
        }
        if (more.length > 0) {
          return err(
            'invalid',
            `this machine has several LAN addresses (${r.lanAddresses.join(', ')}): choose the one the other person can reach with --listen ADDR`,
          );
        }
        url = shareUrl(one);
        if (!url) return err('invalid', `not a LAN address: ${one}`);
      } else {
        url = shareUrl(a);
        if (!url) {
          return err(
            'invalid',
            `\`${a}\` is not an address: give an IP address, optionally with a port (e.g. 192.168.1.20 or 192.168.1.20:${SHARE_PORT})`,
          );
        }
      }
      if (minutes === 0 || minutes > 240) return err('invalid', `share for 1 to 240 minutes, not ${minutes}`);
      const held = r.held;
      if (!held || held.files.length === 0) {
        return err(
          'share',
          'this home holds no Kith package to share: add one with `kith installer add FILE --manifest kith-manifest.txt`',
        );
      }
      r.sharing = {
        urls: [url],
        version: held.version,
        fingerprint: r.fingerprint,
        files: structuredClone(held.files),
        until: Date.now() + minutes * 60_000,
        qr_svg: FAKE_QR,
      };
      return ok(structuredClone(r.sharing));
    },
    // Infallible by contract: no Result.
    shareStop: async (): Promise<void> => {
      await wait();
      s.release.sharing = null;
    },
    updateStatus: async (): Promise<Result<UpdateStatus, AppError>> => {
      await wait();
      const notReady = mustBeReady<UpdateStatus>();
      if (notReady) return notReady;
      return ok(updateStatusOf());
    },
    updateDownload: async (): Promise<Result<UpdateStatus, AppError>> => {
      await wait();
      const notReady = mustBeReady<UpdateStatus>();
      if (notReady) return notReady;
      const r = s.release;
      const offer = r.available;
      if (!offer) return err('update', 'no newer Kith is offered by peers');
      if (r.downloading) return err('update', 'a download is already under way');
      r.error = null;
      // With latency (dev:mock), the file arrives in a few steps over a few
      // seconds, which updateStatus shows meanwhile.
      const steps = s.latency > 0 ? 8 : 1;
      for (let i = 0; i < steps; i++) {
        r.downloading = { version: offer.version, file: offer.file, received: Math.floor((offer.size * i) / steps), size: offer.size };
        if (s.latency > 0) await new Promise((done) => setTimeout(done, 400));
      }
      r.downloading = null;
      const dir = `${s.home}/installer`;
      const release: HeldRelease = {
        version: offer.version,
        date: offer.date,
        fingerprint: r.fingerprint,
        dir,
        files: [fakeHeldFile(dir, offer.file, offer.size)],
      };
      // The installer directory keeps the newest verified release only.
      r.downloaded = release;
      r.held = structuredClone(release);
      emit('updateOffered', { version: offer.version });
      return ok(updateStatusOf());
    },
    updateInstall: async (): Promise<Result<null, AppError>> => {
      await wait();
      const notReady = mustBeReady<null>();
      if (notReady) return notReady;
      const d = s.release.downloaded;
      if (!d) return err('invalid', 'no update has been downloaded and verified');
      s.release.installed.push(d.version);
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
    countsChanged: channel('countsChanged'),
    feedChanged: channel('feedChanged'),
    blobArrived: channel('blobArrived'),
    peersChanged: channel('peersChanged'),
    syncProgress: channel('syncProgress'),
    transferProgress: channel('transferProgress'),
    updateOffered: channel('updateOffered'),
    openPost: channel('openPost'),
    openActivity: channel('openActivity'),
    inviteOpened: channel('inviteOpened'),
  };

  function emit<K extends EventName>(name: K, payload: Events[K]): void {
    for (const h of listeners.get(name) ?? []) h({ payload });
  }

  return {
    commands,
    events,
    emit,
    /**
     * Posts of `account` written by a peer (new, edited or deleted), told
     * as the desktop app tells the window (events.rs): hidden posts and
     * posts not stored left out; `newInHome`, those that are new posts of
     * a home feed (own or followed), neither edited nor deleted.
     */
    postsArrived(account: string, ids: string[]): void {
      const inHome = account === s.me.account || s.following.includes(account);
      const stored = ids
        .map((id) => findPost(id))
        .filter((p): p is PostView => p !== undefined && judged(p, 'thread')?.moderation?.action !== 'hide');
      if (stored.length === 0) return;
      emit('postsArrived', {
        account,
        posts: stored.map((p) => p.id),
        newInHome: inHome ? stored.filter((p) => !p.deleted && !p.edited).map((p) => p.id) : [],
      });
    },
    /**
     * `account` (a peer, or this account from a `kith` command) reacted
     * `reaction` to `post`, told as the node tells the window.
     */
    reactedElsewhere(account: string, post: string, reaction: string): void {
      const p = findPost(post);
      if (!p) return;
      p.reactions = { ...p.reactions, [reaction]: (p.reactions[reaction] ?? 0) + 1 };
      if (account === s.me.account) p.my_reactions = [...p.my_reactions, reaction];
      emit('countsChanged', { posts: [post] });
    },
    /** The app launched again with `link`, as the Rust side (opened.rs) keeps it. */
    openWithLink(link: string): void {
      s.openedInvite = { code: link.trim(), problem: null };
      emit('inviteOpened', { waiting: true });
    },
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
