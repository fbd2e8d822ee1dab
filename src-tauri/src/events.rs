//! Node activity turned into window events, and desktop notifications for
//! replies and mentions.

use std::sync::Arc;

use kith_core::{AccountId, mention};
use kith_net::Activity;
use kith_node::PostView;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;

use crate::state::Session;

/// Posts from peers were stored (new, edited or deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct PostsArrived {
    /// The feed.
    pub account: String,
    /// The posts written.
    pub posts: Vec<String>,
    /// Those of `posts` that are new posts of the home timeline (the own
    /// feed and followed ones): neither edits nor deletions, and not
    /// hidden. What the window's "new posts" counts.
    pub new_in_home: Vec<String>,
}

/// Posts' reply, repost or reaction counts may have changed (by peers, or
/// from a `kith` command on this node): a window showing these posts counts
/// them anew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct CountsChanged {
    /// The posts.
    pub posts: Vec<String>,
}

/// New changes of a feed arrived from peers (posts, reactions or
/// anything else): the activity may have grown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct FeedChanged {
    /// The feed.
    pub account: String,
}

/// The number of connected peers changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct PeersChanged {
    /// Peers connected now.
    pub connected: u32,
}

/// An image (a blob a post or profile shows) arrived from a peer after its
/// post: a window showing it as missing loads it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct BlobArrived {
    /// Its BLAKE3 hash, hex.
    pub hash: String,
}

/// A newer Kith was offered by a peer, or downloaded and verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOffered {
    /// Its version.
    pub version: String,
}

/// A feed's pull started, progressed or ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    /// The feed.
    pub account: String,
    /// Changes received so far.
    pub received: u64,
    /// Changes the peer holds (0 when unknown).
    pub expected: u64,
    /// Whether the pull still runs.
    pub in_progress: bool,
}

/// A desktop notification was clicked: the window shows this post's
/// thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct OpenPost {
    /// The post the notification was about.
    pub post: String,
}

/// The notification summing up a batch's further replies and mentions
/// was clicked: the window shows Activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct OpenActivity {
    /// How many replies and mentions the summary counted.
    pub counted: u32,
}

/// Export or import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TransferPhase {
    /// Writing a bundle file.
    Export,
    /// Reading a bundle file.
    Import,
}

/// Progress of an export or import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, Event)]
#[serde(rename_all = "camelCase")]
pub struct TransferProgress {
    /// Which.
    pub phase: TransferPhase,
    /// Items done.
    pub done: u64,
    /// Items in all.
    pub total: u64,
}

/// What a notification says, and the post it opens when clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The post it is about.
    pub post: kith_core::PostId,
    /// The title.
    pub title: String,
    /// The body.
    pub body: String,
}

/// Longest notification body, in characters.
const NOTICE_CHARS: usize = 140;

/// The notification a post deserves: a reply to one of `me`'s posts, or a
/// mention of `me` (`@kith1…` in its text). Own posts and deleted ones never
/// notify.
pub fn notice_for(post: &PostView, me: AccountId) -> Option<Notice> {
    // Hidden or covered posts (a mute, a muted word, a list) never notify.
    if post.author == me || post.deleted || post.moderation.is_some() {
        return None;
    }
    let text = post.text.as_deref()?;
    let who = post
        .author_name
        .clone()
        .unwrap_or_else(|| short_id(&post.author.to_string()));
    let body: String = if post.cw.is_some() {
        format!(
            "Content warning: {}",
            post.cw.as_deref().unwrap_or_default()
        )
    } else if text.trim().is_empty() {
        match post.attachments.len() {
            0 => String::new(),
            1 => "An image".to_owned(),
            n => format!("{n} images"),
        }
    } else {
        post.text_with_names()?.chars().take(NOTICE_CHARS).collect()
    };
    let title = if post.reply_to.is_some_and(|r| r.author == me) {
        format!("{who} replied to you")
    } else if mention::mentions(text, me) {
        format!("{who} mentioned you")
    } else {
        return None;
    };
    Some(Notice {
        post: post.id,
        title,
        body,
    })
}

fn short_id(id: &str) -> String {
    let head: String = id.chars().take(12).collect();
    format!("{head}…")
}

/// Forwards the session's activity to the window until the node stops.
pub fn forward(app: AppHandle, session: &Arc<Session>) {
    let mut rx = session.running.subscribe();
    let session = Arc::clone(session);
    tauri::async_runtime::spawn(async move {
        loop {
            let activity = match rx.recv().await {
                Ok(a) => a,
                Err(RecvError::Lagged(n)) => {
                    tracing::debug!(skipped = n, "activity listener lagged");
                    continue;
                }
                Err(RecvError::Closed) => break,
            };
            match activity {
                Activity::PostsArrived { account, posts } => {
                    let Sorted { shown, new_in_home } =
                        sort_arrived(&session, account, posts).await;
                    if shown.is_empty() {
                        continue;
                    }
                    let _ = PostsArrived {
                        account: account.to_string(),
                        posts: shown.iter().map(ToString::to_string).collect(),
                        new_in_home: new_in_home.iter().map(ToString::to_string).collect(),
                    }
                    .emit(&app);
                    notify(&app, &session, shown).await;
                }
                Activity::CountsChanged { posts } => {
                    let _ = CountsChanged {
                        posts: posts.iter().map(ToString::to_string).collect(),
                    }
                    .emit(&app);
                }
                Activity::FeedChanged { account } => {
                    let _ = FeedChanged {
                        account: account.to_string(),
                    }
                    .emit(&app);
                }
                Activity::Peers { connected } => {
                    let _ = PeersChanged {
                        connected: connected as u32,
                    }
                    .emit(&app);
                }
                Activity::Sync {
                    account,
                    received,
                    expected,
                    in_progress,
                } => {
                    let _ = SyncProgress {
                        account: account.to_string(),
                        received,
                        expected,
                        in_progress,
                    }
                    .emit(&app);
                }
                Activity::BlobArrived { hash } => {
                    let _ = BlobArrived {
                        hash: hex::encode(hash),
                    }
                    .emit(&app);
                }
                Activity::Update { version } => {
                    let _ = UpdateOffered { version }.emit(&app);
                }
                _ => {}
            }
        }
    });
}

/// Batches up to this size are checked against moderation, and each of
/// their posts told new or changed, before the window hears of them;
/// bigger ones (an initial sync) are passed on as they are.
const MAX_JUDGED_PER_BATCH: usize = 200;

/// A batch of posts from peers, as the window hears of it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sorted {
    /// The posts this home's moderation does not hide (a muted author, a
    /// muted word, a list label set to hide).
    pub shown: Vec<kith_core::PostId>,
    /// Those that are new posts of the home timeline, so the window's "new
    /// posts" counts only what its timeline will show anew.
    pub new_in_home: Vec<kith_core::PostId>,
}

/// Whether a post just written by peers is a new post of a timeline that
/// holds its feed: not deleted, not edited (an edit of an older post, or of
/// one edited before it arrived), not hidden.
pub fn is_new_post(post: &PostView) -> bool {
    !post.deleted && !post.edited && !is_hidden(post)
}

fn is_hidden(post: &PostView) -> bool {
    post.moderation
        .as_ref()
        .is_some_and(|m| m.action == kith_store::ModAction::Hide)
}

/// Sorts a batch: `in_home` tells whether its feed is the own one or a
/// followed one, and `look` reads a post as stored (`Err` when the store
/// could not say: the post is passed on, and not counted new).
pub fn sort_batch<E>(
    posts: Vec<kith_core::PostId>,
    in_home: bool,
    look: impl Fn(&kith_core::PostId) -> Result<Option<PostView>, E>,
) -> Sorted {
    let mut sorted = Sorted::default();
    for id in posts {
        match look(&id) {
            Ok(Some(p)) if is_hidden(&p) => {}
            Ok(Some(p)) => {
                if in_home && is_new_post(&p) {
                    sorted.new_in_home.push(id);
                }
                sorted.shown.push(id);
            }
            Ok(None) => {}
            Err(_) => sorted.shown.push(id),
        }
    }
    sorted
}

/// A batch sorted against the store (see [`sort_batch`]). A batch past
/// [`MAX_JUDGED_PER_BATCH`] is passed on whole, all of it new when its feed
/// is in the home timeline (a sync brings new posts, not edits).
async fn sort_arrived(
    session: &Session,
    account: AccountId,
    posts: Vec<kith_core::PostId>,
) -> Sorted {
    let big = posts.len() > MAX_JUDGED_PER_BATCH;
    let fallback = posts.clone();
    session
        .running
        .replicator
        .node
        .local(move |n| {
            let in_home = n.store().own_account() == Some(account)
                || n.following()
                    .is_ok_and(|f| f.iter().any(|(a, _)| *a == account));
            if big {
                let new_in_home = if in_home { posts.clone() } else { Vec::new() };
                return Sorted {
                    shown: posts,
                    new_in_home,
                };
            }
            sort_batch(posts, in_home, |id| n.store().post(id))
        })
        .await
        .unwrap_or(Sorted {
            shown: fallback,
            new_in_home: Vec::new(),
        })
}

/// Notifications shown for one batch; one more then says how many were
/// left out (a big sync must not flood the desktop).
const MAX_NOTICES_PER_BATCH: usize = 3;
/// Posts of one batch looked at for notifications, at most.
const MAX_POSTS_LOOKED_AT: usize = 1000;

/// What the notification of a batch's further replies and mentions says
/// (title, body): `left_out` of those looked at were not shown, and
/// `looked_at_all` tells whether every post of the batch was looked at.
pub fn more_notice(left_out: usize, looked_at_all: bool) -> Option<(String, String)> {
    let plus = if looked_at_all { "" } else { "+" };
    let title = match left_out {
        0 => return None,
        1 if looked_at_all => "1 more reply or mention".to_owned(),
        n => format!("{n}{plus} more replies and mentions"),
    };
    Some((title, "Open Activity to see them all.".to_owned()))
}

async fn notify(app: &AppHandle, session: &Session, posts: Vec<kith_core::PostId>) {
    if !session
        .notifications
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return;
    }
    // Locked, the window keeps what arrives to itself. Someone looking at
    // the window sees the post arrive and Activity's count grow; a
    // notification would only repeat it.
    if session.is_locked() || window_has_focus(app) {
        tracing::debug!("window locked or focused: no desktop notification");
        return;
    }
    let me = session.account;
    let looked_at_all = posts.len() <= MAX_POSTS_LOOKED_AT;
    let mut notices = session
        .running
        .replicator
        .node
        .local(move |n| {
            posts
                .iter()
                .take(MAX_POSTS_LOOKED_AT)
                .filter_map(|id| n.store().post(id).ok().flatten())
                .filter_map(|p| notice_for(&p, me))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
    let left_out = notices.len().saturating_sub(MAX_NOTICES_PER_BATCH);
    notices.truncate(MAX_NOTICES_PER_BATCH);
    for notice in notices {
        show(
            app,
            &notice.title,
            &notice.body,
            (NOTICE_POST, notice.post.to_string().into()),
        );
    }
    if let Some((title, body)) = more_notice(left_out, looked_at_all) {
        let counted = u32::try_from(left_out).unwrap_or(u32::MAX);
        show(app, &title, &body, (NOTICE_MORE, counted.into()));
    }
}

/// Whether the app's window is the one the keyboard goes to (shown, not
/// minimized, and focused).
fn window_has_focus(app: &AppHandle) -> bool {
    app.get_webview_window("main").is_some_and(|w| {
        w.is_focused().unwrap_or(false)
            && w.is_visible().unwrap_or(false)
            && !w.is_minimized().unwrap_or(false)
    })
}

/// Shows one notification carrying `extra`, what a click on it opens.
fn show(app: &AppHandle, title: &str, body: &str, (key, value): (&str, serde_json::Value)) {
    let shown = app
        .notification()
        .builder()
        .title(title)
        .body(body)
        .extra(key, value)
        .show();
    if let Err(e) = shown {
        tracing::debug!(error = %e, "could not show a notification");
    }
}

/// The key of a notification's extra data that holds its post's id.
const NOTICE_POST: &str = "post";
/// The key of the summing-up notification's extra data: how many it counts.
const NOTICE_MORE: &str = "more";

/// Shows the window in front: back from minimized or hidden, with the
/// focus (which the window manager may give only as a request for
/// attention).
pub fn bring_window_forward(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Makes a click on a notification show the window: with the thread of
/// the post it was about, or Activity for the one summing up the rest.
/// Registered before any notification is shown (the plugin reports clicks
/// only on notifications shown after).
pub fn open_clicked_notices(app: &AppHandle) {
    let handle = app.clone();
    let _ = app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let Some(extra) = performed
            .notification()
            .map(tauri_plugin_notification::ActiveNotification::extra)
        else {
            return;
        };
        let post = extra
            .get(NOTICE_POST)
            .and_then(|v| v.as_str())
            .and_then(|id| id.parse::<kith_core::PostId>().ok());
        let more = extra
            .get(NOTICE_MORE)
            .and_then(serde_json::Value::as_u64)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        if post.is_none() && more.is_none() {
            return;
        }
        bring_window_forward(&handle);
        if let Some(post) = post {
            let _ = OpenPost {
                post: post.to_string(),
            }
            .emit(&handle);
        } else if let Some(counted) = more {
            let _ = OpenActivity { counted }.emit(&handle);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn account(n: u8) -> AccountId {
        AccountId::from_slice(&[n; 32]).expect("an account id")
    }

    fn post(author: AccountId, text: &str, reply_to: Option<AccountId>) -> PostView {
        PostView {
            id: kith_core::PostId {
                author,
                local: [1; 8],
            },
            author,
            author_name: Some("Bea".into()),
            author_avatar: None,
            text: Some(text.into()),
            created_at: 0,
            reply_to: reply_to.map(|a| kith_core::PostId {
                author: a,
                local: [2; 8],
            }),
            reply_to_author: reply_to,
            reply_to_name: None,
            quote_of: None,
            cw: None,
            edited: false,
            edited_at: None,
            deleted: false,
            attachments: Vec::new(),
            descriptions: Vec::new(),
            replies: 0,
            reposts: 0,
            reactions: BTreeMap::new(),
            my_reactions: Vec::new(),
            moderation: None,
            mentions: Vec::new(),
        }
    }

    /// A post of Bea's with `local` as its id's own part.
    fn bea_post(local: u8) -> PostView {
        let mut p = post(account(2), "hello", None);
        p.id.local = [local; 8];
        p
    }

    /// `sort_batch` over these posts, as stored.
    fn sort(stored: &[PostView], in_home: bool) -> Sorted {
        let ids = stored.iter().map(|p| p.id).collect();
        sort_batch(ids, in_home, |id| {
            Ok::<_, ()>(stored.iter().find(|p| p.id == *id).cloned())
        })
    }

    #[test]
    fn only_new_posts_of_a_home_feed_count_as_new_not_edits_deletions_or_hidden_ones() {
        let new = bea_post(1);
        let mut edited = bea_post(2);
        edited.edited = true;
        edited.edited_at = Some(5);
        let mut deleted = bea_post(3);
        deleted.deleted = true;
        deleted.text = None;
        let mut hidden = bea_post(4);
        hidden.moderation = Some(kith_store::ModerationNote {
            action: kith_store::ModAction::Hide,
            reasons: vec!["muted".into()],
        });
        let mut covered = bea_post(5);
        covered.moderation = Some(kith_store::ModerationNote {
            action: kith_store::ModAction::Warn,
            reasons: vec!["covered".into()],
        });
        let batch = [
            new.clone(),
            edited.clone(),
            deleted.clone(),
            hidden,
            covered.clone(),
        ];
        let sorted = sort(&batch, true);
        assert_eq!(
            sorted.shown,
            vec![new.id, edited.id, deleted.id, covered.id],
            "the window hears of edits and deletions too, not of hidden posts"
        );
        assert_eq!(sorted.new_in_home, vec![new.id, covered.id]);
    }

    #[test]
    fn posts_of_a_feed_carried_but_not_followed_are_never_new_in_home() {
        let sorted = sort(&[bea_post(1), bea_post(2)], false);
        assert_eq!(sorted.shown.len(), 2);
        assert!(sorted.new_in_home.is_empty());
    }

    #[test]
    fn a_post_the_store_could_not_read_is_passed_on_but_not_counted_new() {
        let id = bea_post(1).id;
        let sorted = sort_batch(vec![id], true, |_| Err::<Option<PostView>, _>("busy"));
        assert_eq!(
            sorted,
            Sorted {
                shown: vec![id],
                new_in_home: Vec::new()
            }
        );
        let gone = sort_batch(vec![id], true, |_| Ok::<_, ()>(None));
        assert_eq!(
            gone,
            Sorted::default(),
            "a post no longer stored is not told"
        );
    }

    #[test]
    fn a_covered_reply_does_not_notify() {
        let mut p = post(account(2), "hello", Some(account(1)));
        p.moderation = Some(kith_store::ModerationNote {
            action: kith_store::ModAction::Warn,
            reasons: vec!["covered by list “X”: spam".into()],
        });
        assert!(notice_for(&p, account(1)).is_none());
    }

    #[test]
    fn a_reply_to_my_post_notifies_with_the_authors_name_and_opens_the_reply() {
        let reply = post(account(2), "Merci !", Some(account(1)));
        let n = notice_for(&reply, account(1)).expect("a notice");
        assert_eq!(n.title, "Bea replied to you");
        assert_eq!(n.body, "Merci !");
        assert_eq!(n.post, reply.id, "a click opens the reply itself");
    }

    #[test]
    fn a_reply_of_images_alone_says_so_in_its_notification() {
        let mut reply = post(account(2), "", Some(account(1)));
        reply.attachments = vec!["photo".into()];
        let n = notice_for(&reply, account(1)).expect("a notice");
        assert_eq!(
            (n.title.as_str(), n.body.as_str()),
            ("Bea replied to you", "An image")
        );
        reply.attachments.push("another".into());
        assert_eq!(
            notice_for(&reply, account(1)).expect("a notice").body,
            "2 images"
        );
    }

    #[test]
    fn a_mention_of_my_id_notifies_and_shows_names_but_a_name_alone_does_not() {
        let (me, cy) = (account(1), account(3));
        let mut p = post(account(2), &format!("hi @{me} and @{cy}!"), None);
        p.mentions = vec![
            kith_store::MentionView {
                account: me,
                name: Some("Ada".into()),
            },
            kith_store::MentionView {
                account: cy,
                name: None,
            },
        ];
        let n = notice_for(&p, me).expect("a notice");
        assert_eq!(n.title, "Bea mentioned you");
        assert_eq!(n.body, format!("hi @Ada and @{cy}!"));
        assert!(notice_for(&post(account(2), "hi @Ada", None), me).is_none());
        assert!(notice_for(&post(account(2), &format!("hi @{me}x"), None), me).is_none());
        assert!(notice_for(&post(account(2), &format!("hi @{cy}"), None), me).is_none());
    }

    #[test]
    fn own_posts_and_replies_to_others_do_not_notify() {
        let me = account(1);
        assert!(notice_for(&post(me, &format!("@{me}"), Some(me)), me).is_none());
        assert!(notice_for(&post(account(2), "yes", Some(account(3))), me).is_none());
    }

    #[test]
    fn a_batch_past_three_notices_says_how_many_more_and_plus_when_not_all_were_read() {
        assert_eq!(more_notice(0, true), None);
        assert_eq!(
            more_notice(0, false),
            None,
            "nothing left out of those read"
        );
        assert_eq!(
            more_notice(1, true).map(|n| n.0),
            Some("1 more reply or mention".into())
        );
        assert_eq!(
            more_notice(12, true).map(|n| n.0),
            Some("12 more replies and mentions".into())
        );
        assert_eq!(
            more_notice(1, false).map(|n| n.0),
            Some("1+ more replies and mentions".into())
        );
    }

    #[test]
    fn a_content_warning_hides_the_text_in_the_notification() {
        let mut p = post(account(2), "the ending", Some(account(1)));
        p.cw = Some("spoilers".into());
        let n = notice_for(&p, account(1)).expect("a notice");
        assert_eq!(n.body, "Content warning: spoilers");
    }
}
