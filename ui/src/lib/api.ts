// The one module that talks to the Rust side. Every component goes through
// here, so tests mock `./bindings` (vi.mock('$lib/bindings')) and never need
// Tauri. If a generated name or shape changes, this file is where to adapt.
import { commands, events } from './bindings';
import { postDeleted, postPublished, postTouched } from './postchanges';
import type {
  ActivityPage,
  AppError,
  AppStatus,
  BlobArrived,
  Created,
  Draft,
  Followed,
  FollowDirection,
  FollowPage,
  HeldRelease,
  InviteInfo,
  LanPeers,
  ListenStatus,
  ListDetail,
  ListView,
  ModerationOverview,
  Page,
  FeedChanged,
  PeerInfo,
  OpenActivity,
  OpenedInvite,
  OpenPost,
  InviteOpened,
  PeersChanged,
  PersonView,
  Policy,
  PostChange,
  PostsArrived,
  PostView,
  ProfileEdit,
  ProfileView,
  CountsChanged,
  ReleaseInfo,
  ReportView,
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
} from './bindings';

export type * from './bindings';

/** An error answered by a command (`AppError`), or a failure to reach it. */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

function isAppError(e: unknown): e is AppError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

/** Any thrown or returned error as an ApiError (never loses the message). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (isAppError(e)) return new ApiError(e.code, e.message);
  if (e instanceof Error) return new ApiError('ipc', e.message);
  if (typeof e === 'string') return new ApiError('unknown', e);
  return new ApiError('unknown', 'Something went wrong.');
}

/** `Result<T, AppError>` (or a promise of one) → T, or throws ApiError. */
export async function unwrap<T>(result: Result<T, AppError> | Promise<Result<T, AppError>>): Promise<T> {
  let r: Result<T, AppError>;
  try {
    r = await result;
  } catch (e) {
    throw toApiError(e);
  }
  if (r.status === 'ok') return r.data;
  throw toApiError(r.error);
}

/** For the few commands that cannot fail by contract (no Result): maps a thrown IPC error. */
async function settle<T>(value: Promise<T>): Promise<T> {
  try {
    return await value;
  } catch (e) {
    throw toApiError(e);
  }
}

/** `value`, once `then` was told of it (not when it fails). */
async function after<T>(value: Promise<T>, then: (v: T) => void): Promise<T> {
  const v = await value;
  then(v);
  return v;
}

/** The message to show a person for any error. */
export function errorMessage(e: unknown): string {
  return toApiError(e).message;
}

/** The message for a failed passphrase: what to do, not the key file the node names. */
export function passphraseMessage(e: unknown): string {
  return toApiError(e).code === 'wrong_passphrase'
    ? 'That passphrase does not open this account. Check it (and Caps Lock) and try again.'
    : errorMessage(e);
}

/**
 * URL of a content-addressed blob (avatar, image), served by the app's
 * `kith-blob` URI scheme: `kith-blob://localhost/…` on Linux and macOS,
 * `http://kith-blob.localhost/…` on Windows (where WebView2 needs http).
 */
export function blobUrl(hash: string): string {
  const windows = typeof navigator !== "undefined" && /Windows/.test(navigator.userAgent);
  const path = encodeURIComponent(hash);
  return windows ? `http://kith-blob.localhost/${path}` : `kith-blob://localhost/${path}`;
}

/** The commands, unwrapped: each resolves to its data or rejects with ApiError. */
export const api = {
  appStatus: (): Promise<AppStatus> => settle(commands.appStatus()),
  createAccount: (name: string, passphrase: string): Promise<Created> =>
    unwrap(commands.createAccount(name, passphrase)),
  restoreAccount: (phrase: string, passphrase: string): Promise<Created> =>
    unwrap(commands.restoreAccount(phrase, passphrase)),
  unlock: (passphrase: string): Promise<null> => unwrap(commands.unlock(passphrase)),
  resetPassphrase: (phrase: string, passphrase: string): Promise<null> =>
    unwrap(commands.resetPassphrase(phrase, passphrase)),
  changePassphrase: (current: string, next: string): Promise<null> => unwrap(commands.changePassphrase(current, next)),
  recoveryPhrase: (passphrase: string): Promise<string[]> => unwrap(commands.recoveryPhrase(passphrase)),
  timeline: (limit: number, before: string | null): Promise<Page> => unwrap(commands.timeline(limit, before)),
  activity: (limit: number, before: string | null): Promise<ActivityPage> => unwrap(commands.activity(limit, before)),
  activityUnread: (): Promise<number> => unwrap(commands.activityUnread()),
  /** Whether this computer holds the image `hash`: one that does not load is then undecodable, not missing. */
  imageHeld: (hash: string): Promise<boolean> => unwrap(commands.imageHeld(hash)),
  /** `at`: the time of the newest item seen. */
  markActivitySeen: (at: number): Promise<null> => unwrap(commands.markActivitySeen(at)),
  /** Accounts known here by a name containing `query`, followed ones first (at most 8). */
  lock: (): Promise<null> => unwrap(commands.lock()),
  peopleNamed: (query: string): Promise<PersonView[]> => unwrap(commands.peopleNamed(query)),
  openLink: (url: string): Promise<null> => unwrap(commands.openLink(url)),
  takeOpenedInvite: (): Promise<OpenedInvite | null> => settle(commands.takeOpenedInvite()),
  feed: (account: string, limit: number, before: string | null): Promise<Page> =>
    unwrap(commands.feed(account, limit, before)),
  thread: (post: string): Promise<Page> => unwrap(commands.thread(post)),
  /** The posts held among `ids` (at most 100) as they are now, in that order; those not held left out. */
  posts: (ids: string[]): Promise<PostView[]> => unwrap(commands.posts(ids)),
  search: (query: string, limit: number, before: string | null = null): Promise<Page> =>
    unwrap(commands.search(query, limit, before)),
  profile: (account: string | null): Promise<ProfileView> => unwrap(commands.profile(account)),
  following: (): Promise<Followed[]> => unwrap(commands.following()),
  /** A page of whom `account` (own when null) follows, or of the feeds here that follow it. */
  follows: (
    account: string | null,
    direction: FollowDirection,
    limit: number,
    before: string | null = null,
  ): Promise<FollowPage> => unwrap(commands.follows(account, direction, limit, before)),
  // The person's own changes to posts are recorded as the node accepts
  // them (lib/postchanges), so that lists kept across navigation show them.
  // A reply, repost or quote adds to its target's counts, which the node knows.
  publish: (draft: Draft): Promise<string> =>
    after(unwrap(commands.publish(draft)), (id) => {
      postPublished(id);
      for (const target of [draft.replyTo, draft.quoteOf]) if (target !== null) postTouched(target);
    }),
  react: (post: string, reaction: string): Promise<null> =>
    after(unwrap(commands.react(post, reaction)), () => postTouched(post)),
  unreact: (post: string, reaction: string): Promise<null> =>
    after(unwrap(commands.unreact(post, reaction)), () => postTouched(post)),
  editPost: (post: string, change: PostChange): Promise<null> =>
    after(unwrap(commands.editPost(post, change)), () => postTouched(post)),
  deletePost: (post: string): Promise<null> => after(unwrap(commands.deletePost(post)), () => postDeleted(post)),
  follow: (account: string): Promise<null> => unwrap(commands.follow(account)),
  unfollow: (account: string): Promise<null> => unwrap(commands.unfollow(account)),
  setProfile: (edit: ProfileEdit): Promise<ProfileView> => unwrap(commands.setProfile(edit)),
  peers: (): Promise<PeerInfo[]> => unwrap(commands.peers()),
  lanPeers: (): Promise<LanPeers> => unwrap(commands.lanPeers()),
  listenStatus: (): Promise<ListenStatus> => unwrap(commands.listenStatus()),
  syncStatus: (): Promise<SyncStatus> => unwrap(commands.syncStatus()),
  connect: (addr: string): Promise<string> => unwrap(commands.connect(addr)),
  invite: (): Promise<InviteInfo> => unwrap(commands.invite()),
  acceptInvite: (code: string): Promise<string> => unwrap(commands.acceptInvite(code)),
  exportBundle: (): Promise<TransferSummary | null> => unwrap(commands.exportBundle()),
  importBundle: (): Promise<TransferSummary | null> => unwrap(commands.importBundle()),
  settings: (): Promise<Settings> => settle(commands.settings()),
  saveSettings: (settings: Settings): Promise<null> => unwrap(commands.saveSettings(settings)),
  setZoom: (percent: number): Promise<null> => unwrap(commands.setZoom(percent)),
  /** Saves one of the settings that apply as chosen, the rest as they are. */
  setPreference: (preference: Preference): Promise<null> => unwrap(commands.setPreference(preference)),
  quit: (): Promise<void> => settle(commands.quit()),

  // Moderation. `publicly` records a block, mute or muted word in the own
  // feed for others to see; otherwise it stays on this computer.
  block: (account: string, publicly: boolean): Promise<null> => unwrap(commands.block(account, publicly)),
  unblock: (account: string): Promise<null> => unwrap(commands.unblock(account)),
  mute: (account: string, publicly: boolean): Promise<null> => unwrap(commands.mute(account, publicly)),
  unmute: (account: string): Promise<null> => unwrap(commands.unmute(account)),
  /** Resolves to the word as stored (lower case). */
  muteWord: (word: string, publicly: boolean): Promise<string> => unwrap(commands.muteWord(word, publicly)),
  unmuteWord: (word: string): Promise<string> => unwrap(commands.unmuteWord(word)),
  moderation: (): Promise<ModerationOverview> => unwrap(commands.moderation()),
  createList: (name: string): Promise<ListDetail> => unwrap(commands.createList(name)),
  listDetail: (list: string): Promise<ListDetail> => unwrap(commands.listDetail(list)),
  listAdd: (list: string, target: string, labels: string[], reason: string): Promise<ListDetail> =>
    unwrap(commands.listAdd(list, target, labels, reason)),
  listRemove: (list: string, target: string): Promise<ListDetail> => unwrap(commands.listRemove(list, target)),
  subscribeList: (list: string, hide: string[], warn: string[]): Promise<ListView> =>
    unwrap(commands.subscribeList(list, hide, warn)),
  unsubscribeList: (list: string): Promise<null> => unwrap(commands.unsubscribeList(list)),
  /** `to`: one list, or null for every subscribed list. Resolves to the queued reports. */
  report: (target: string, labels: string[], text: string, to: string | null): Promise<ReportView[]> =>
    unwrap(commands.report(target, labels, text, to)),
  /** Reports received for own lists: open ones, or all with `all`. */
  reports: (all: boolean): Promise<ReportView[]> => unwrap(commands.reports(all)),
  sentReports: (): Promise<ReportView[]> => unwrap(commands.sentReports()),
  resolveReport: (id: string, accept: boolean): Promise<ReportView> => unwrap(commands.resolveReport(id, accept)),
  setPolicy: (scope: Scope, peerRate: number): Promise<Policy> => unwrap(commands.setPolicy(scope, peerRate)),

  // Share Kith and updates. Nothing is downloaded or installed unless the
  // person asks; updateInstall only after they confirmed.
  releaseInfo: (): Promise<ReleaseInfo> => unwrap(commands.releaseInfo()),
  /** Opens a file dialog on the Rust side; null when it was cancelled. */
  keepPackage: (): Promise<HeldRelease | null> => unwrap(commands.keepPackage()),
  /** `address`: one of `lanAddresses` (optionally `ip:port`), or '' for the only one. */
  shareStart: (address: string, minutes: number): Promise<ShareInfo> => unwrap(commands.shareStart(address, minutes)),
  shareStop: (): Promise<void> => settle(commands.shareStop()),
  updateStatus: (): Promise<UpdateStatus> => unwrap(commands.updateStatus()),
  updateDownload: (): Promise<UpdateStatus> => unwrap(commands.updateDownload()),
  updateInstall: (): Promise<null> => unwrap(commands.updateInstall()),
};

export type Unlisten = () => void;

/**
 * Subscribe to a backend event; returns a function that unsubscribes, safe to
 * call before the subscription has resolved (as a component's cleanup may).
 * Outside Tauri (plain browser) subscribing fails quietly.
 */
function subscribe<T>(
  listen: (cb: (e: { payload: T }) => void) => Promise<Unlisten>,
  cb: (payload: T) => void,
): Unlisten {
  let stopped = false;
  let unlisten: Unlisten | null = null;
  listen((e) => {
    if (!stopped) cb(e.payload);
  }).then(
    (u) => {
      if (stopped) u();
      else unlisten = u;
    },
    () => {
      /* not running inside Tauri: no events */
    },
  );
  return () => {
    stopped = true;
    unlisten?.();
  };
}

export const on = {
  postsArrived: (cb: (p: PostsArrived) => void): Unlisten => subscribe((h) => events.postsArrived.listen(h), cb),
  countsChanged: (cb: (p: CountsChanged) => void): Unlisten =>
    subscribe((h) => events.countsChanged.listen(h), cb),
  feedChanged: (cb: (p: FeedChanged) => void): Unlisten => subscribe((h) => events.feedChanged.listen(h), cb),
  blobArrived: (cb: (b: BlobArrived) => void): Unlisten => subscribe((h) => events.blobArrived.listen(h), cb),
  peersChanged: (cb: (p: PeersChanged) => void): Unlisten => subscribe((h) => events.peersChanged.listen(h), cb),
  syncProgress: (cb: (p: SyncProgress) => void): Unlisten => subscribe((h) => events.syncProgress.listen(h), cb),
  transferProgress: (cb: (p: TransferProgress) => void): Unlisten =>
    subscribe((h) => events.transferProgress.listen(h), cb),
  updateOffered: (cb: (p: UpdateOffered) => void): Unlisten => subscribe((h) => events.updateOffered.listen(h), cb),
  openPost: (cb: (p: OpenPost) => void): Unlisten => subscribe((h) => events.openPost.listen(h), cb),
  openActivity: (cb: (p: OpenActivity) => void): Unlisten => subscribe((h) => events.openActivity.listen(h), cb),
  inviteOpened: (cb: (p: InviteOpened) => void): Unlisten => subscribe((h) => events.inviteOpened.listen(h), cb),
};
