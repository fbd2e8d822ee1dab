//! The Tauri commands: thin wrappers over the node, each returning a
//! typed answer or an [`AppError`]. Their TypeScript signatures are
//! generated (`ui/src/lib/bindings.ts`).
//!
//! Tauri hands commands their arguments by value, so clippy's
//! `needless_pass_by_value` does not apply here.
#![allow(clippy::needless_pass_by_value)]

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use kith_core::{AccountId, PostId};
use kith_net::ListenStatus;
use kith_net::lan::LanPeers;
use kith_net::replicator::SyncStatus;
use kith_net::service::PeerOwners;
use kith_net::swarm::{Command, PeerInfo};
use kith_net::{ControlRequest, Invite};
use kith_node::{
    ActivityPage, FollowDirection, FollowPage, NewPost, Node, Page, PersonView, PostView,
    ProfileView,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_specta::Event;

use crate::blobs;
use crate::error::{AppError, AppResult};
use crate::events::{self, TransferPhase, TransferProgress};
use crate::settings::Settings;
use crate::state::{AppState, AppStatus, Session};

/// Most posts a page may hold.
const MAX_PAGE: u32 = kith_node::api::MAX_PAGE as u32;

pub(crate) fn parse_account(s: &str) -> AppResult<AccountId> {
    s.trim()
        .parse()
        .map_err(|e| AppError::new("invalid", format!("not an account id: {e}")))
}

fn parse_post(s: &str) -> AppResult<PostId> {
    s.trim()
        .parse()
        .map_err(|e| AppError::new("invalid", format!("not a post id: {e}")))
}

fn page_size(limit: u32) -> AppResult<usize> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::new(
            "invalid",
            format!("a page holds 1 to {MAX_PAGE} posts, not {limit}"),
        ));
    }
    Ok(limit as usize)
}

/// Runs `f` on the running node (the user's work goes before peers'),
/// publishing what it signs.
pub(crate) async fn on_node<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Node) -> kith_node::Result<T> + Send + 'static,
) -> AppResult<T> {
    let session = state.session()?;
    Ok(session.running.replicator.local_change(f).await??)
}

/// An image as the web view sends it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImageData {
    /// The file's name (for messages).
    pub name: String,
    /// Its bytes, base64.
    pub base64: String,
}

impl ImageData {
    fn decode(&self) -> AppResult<Vec<u8>> {
        let limit = kith_core::limits::MAX_BLOB_BYTES;
        // Refuse before decoding: base64 is 4/3 of the bytes.
        if self.base64.len() / 4 * 3 > limit + 3 {
            return Err(AppError::new(
                "too_large",
                format!("{} is over the {} MiB image limit", self.name, limit >> 20),
            ));
        }
        base64::engine::general_purpose::STANDARD
            .decode(self.base64.as_bytes())
            .map_err(|e| AppError::new("invalid", format!("{} is not readable: {e}", self.name)))
    }
}

/// A post to publish: new, reply, repost (no text) or quote.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// The text.
    pub text: Option<String>,
    /// A content warning.
    pub cw: Option<String>,
    /// Images to attach.
    pub images: Vec<ImageData>,
    /// What each image shows, in order, for people who cannot see it
    /// (empty for one not described).
    pub descriptions: Vec<String>,
    /// The post answered.
    pub reply_to: Option<String>,
    /// The post reposted or quoted.
    pub quote_of: Option<String>,
}

/// Profile fields to change (absent ones are kept).
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProfileEdit {
    /// Display name.
    pub name: Option<String>,
    /// Biography.
    pub bio: Option<String>,
    /// A new avatar.
    pub avatar: Option<ImageData>,
}

/// A followed account.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Followed {
    /// The account.
    pub account: String,
    /// Its display name, if known.
    pub name: Option<String>,
}

/// A new or restored account.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Created {
    /// The account id.
    pub account: String,
    /// The 24 words of the recovery phrase, in order.
    pub phrase: Vec<String>,
}

/// This account's invite.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InviteInfo {
    /// The code to paste (`kith:<account>@<addr>,…`).
    pub code: String,
    /// The account.
    pub account: String,
    /// The addresses in it.
    pub addrs: Vec<String>,
    /// The code as a QR code (an SVG document).
    pub qr_svg: String,
}

/// What an export or import did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TransferSummary {
    /// The bundle file.
    pub path: String,
    /// Feeds in it.
    pub feeds: u32,
    /// Changes written (export) or newly stored (import).
    pub changes: u32,
    /// Changes already held (import).
    pub duplicates: u32,
    /// Images and avatars.
    pub blobs: u32,
}

/// Where the app stands: onboarding, locked, ready or failed.
#[tauri::command]
#[specta::specta]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}

/// Opens the account with `f` (create, restore, unlock), then starts the
/// node on the network.
async fn open_account<T: Send + 'static>(
    app: &AppHandle,
    state: &AppState,
    f: impl FnOnce(&mut Node) -> kith_node::Result<T> + Send + 'static,
) -> AppResult<T> {
    let mut node = state.take_node()?;
    let (node, result) = tauri::async_runtime::spawn_blocking(move || {
        let r = f(&mut node);
        (node, r)
    })
    .await
    .map_err(|e| AppError::new("internal", e))?;
    let value = match result {
        Ok(v) => v,
        Err(e) => {
            state.put_back(node);
            return Err(e.into());
        }
    };
    tracing::info!("account opened; starting the network");
    let account = node.identity()?.account;
    let settings = Settings::load(&state.home);
    let mut config = match settings.net_config() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "network settings invalid; using defaults");
            kith_net::NetConfig::default()
        }
    };
    // A listen port another program took must not keep the account from
    // opening: the node listens on another port (the same interfaces when
    // it can), and Settings says why.
    config.listen_fallback = true;
    match kith_net::start(node, config).await {
        Ok(running) => {
            let session = Arc::new(Session {
                running,
                account,
                notifications: settings.notifications.into(),
            });
            events::forward(app.clone(), &session);
            state.set_ready(session);
            tracing::info!("network started");
            Ok(value)
        }
        Err(e) => {
            let e = AppError::from(e);
            state.set_failed(e.clone());
            Err(e)
        }
    }
}

fn created(c: &kith_node::Created) -> Created {
    Created {
        account: c.account.to_string(),
        phrase: c.phrase.split_whitespace().map(str::to_owned).collect(),
    }
}

/// Creates a new account named `name`, its keys encrypted with `passphrase`.
#[tauri::command]
#[specta::specta]
pub async fn create_account(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    passphrase: String,
) -> AppResult<Created> {
    let name = name.trim().to_owned();
    let c = open_account(&app, &state, move |n| {
        n.init((!name.is_empty()).then_some(name.as_str()), &passphrase)
    })
    .await?;
    Ok(created(&c))
}

/// Restores an account from its recovery phrase, as a new device.
#[tauri::command]
#[specta::specta]
pub async fn restore_account(
    app: AppHandle,
    state: State<'_, AppState>,
    phrase: String,
    passphrase: String,
) -> AppResult<Created> {
    let c = open_account(&app, &state, move |n| n.restore(&phrase, &passphrase)).await?;
    Ok(created(&c))
}

/// Unlocks the account's keys with the passphrase.
#[tauri::command]
#[specta::specta]
pub async fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
) -> AppResult<()> {
    // Locked in front of a running node: the passphrase opens the window.
    if let Some(session) = state.running_session() {
        if !session.is_locked() {
            return Err(AppError::new("already_unlocked", "the account is open"));
        }
        let home = state.home.clone();
        let key = tauri::async_runtime::spawn_blocking(move || {
            Node::decrypt_device_key(&home, &passphrase)
        })
        .await
        .map_err(|e| AppError::new("internal", e))??;
        session
            .running
            .replicator
            .local_change(move |n| n.unlock_with(key))
            .await
            .map_err(|e| AppError::new("stopped", e))??;
        session.running.lock_socket(false);
        tracing::info!("window unlocked");
        return Ok(());
    }
    open_account(&app, &state, move |n| n.unlock(&passphrase)).await
}

/// For a forgotten passphrase: the account's recovery phrase sets a new
/// one, and opens the window as `unlock` does. The device key, which only
/// the old passphrase decrypts, is replaced: this computer becomes a new
/// device of the account. Refused for another account's phrase.
#[tauri::command]
#[specta::specta]
pub async fn reset_passphrase(
    app: AppHandle,
    state: State<'_, AppState>,
    phrase: String,
    passphrase: String,
) -> AppResult<()> {
    if let Some(session) = state.running_session() {
        if !session.is_locked() {
            return Err(AppError::new("already_unlocked", "the account is open"));
        }
        session
            .running
            .replicator
            .local_change(move |n| n.reset_passphrase(&phrase, &passphrase))
            .await
            .map_err(|e| AppError::new("stopped", e))??;
        session.running.lock_socket(false);
        tracing::info!("passphrase reset with the recovery phrase; window unlocked");
        return Ok(());
    }
    open_account(&app, &state, move |n| {
        n.reset_passphrase(&phrase, &passphrase).map(drop)
    })
    .await
}

/// Encrypts the account's keys with `next` instead of `current`, the
/// passphrase now (refused, nothing changed, if it is not).
#[tauri::command]
#[specta::specta]
pub async fn change_passphrase(
    state: State<'_, AppState>,
    current: String,
    next: String,
) -> AppResult<()> {
    state.session()?;
    let home = state.home.clone();
    tauri::async_runtime::spawn_blocking(move || Node::change_passphrase(&home, &current, &next))
        .await
        .map_err(|e| AppError::new("internal", e))??;
    tracing::info!("passphrase changed");
    Ok(())
}

/// Locks the window: until the passphrase is given again (`unlock`) every
/// command that reads or writes the account is refused, in the window and
/// from `kith` commands on the control socket alike, and no notification
/// is shown; the decrypted device key is forgotten (zeroed). The node keeps
/// running, carrying and relaying feeds.
#[tauri::command]
#[specta::specta]
pub async fn lock(state: State<'_, AppState>) -> AppResult<()> {
    let session = state.session()?;
    session.running.lock_socket(true);
    // The decrypted device key goes: nothing is signed while locked, and
    // the passphrase decrypts it again.
    session
        .running
        .replicator
        .local_change(Node::lock)
        .await
        .map_err(|e| AppError::new("stopped", e))?;
    tracing::info!("window locked");
    Ok(())
}

/// The account's recovery phrase again (after the passphrase), in order.
#[tauri::command]
#[specta::specta]
pub async fn recovery_phrase(
    state: State<'_, AppState>,
    passphrase: String,
) -> AppResult<Vec<String>> {
    let phrase = on_node(&state, move |n| n.recovery_phrase(&passphrase)).await?;
    Ok(phrase.split_whitespace().map(str::to_owned).collect())
}

/// The home timeline, newest first.
#[tauri::command]
#[specta::specta]
pub async fn timeline(
    state: State<'_, AppState>,
    limit: u32,
    before: Option<String>,
) -> AppResult<Page> {
    let limit = page_size(limit)?;
    let asked = std::time::Instant::now();
    let page = on_node(&state, move |n| n.timeline(limit, before.as_deref())).await;
    tracing::debug!(ms = asked.elapsed().as_millis(), "timeline page");
    page
}

/// What others did with this account and its posts (replies, mentions,
/// quotes, reposts, reactions), newest first.
#[tauri::command]
#[specta::specta]
pub async fn activity(
    state: State<'_, AppState>,
    limit: u32,
    before: Option<String>,
) -> AppResult<ActivityPage> {
    let limit = page_size(limit)?;
    on_node(&state, move |n| n.activity(limit, before.as_deref())).await
}

/// How many activity items arrived since the newest one seen (at most 100).
#[tauri::command]
#[specta::specta]
pub async fn activity_unread(state: State<'_, AppState>) -> AppResult<u32> {
    on_node(&state, |n| n.activity_unread()).await
}

/// Whether this computer holds the image `hash` (hex). An image that does
/// not load is either not received yet (not held) or cannot be decoded.
#[tauri::command]
#[specta::specta]
pub async fn image_held(state: State<'_, AppState>, hash: String) -> AppResult<bool> {
    let hash = blobs::parse_hash(&hash)
        .ok_or_else(|| AppError::new("invalid", format!("not an image hash: {hash:?}")))?;
    on_node(&state, move |n| Ok(n.has_blob(&hash))).await
}

/// Records that the activity was seen up to the item at `at` (ms).
#[tauri::command]
#[specta::specta]
pub async fn mark_activity_seen(state: State<'_, AppState>, at: i64) -> AppResult<()> {
    on_node(&state, move |n| n.mark_activity_seen(at)).await
}

/// Accounts known here whose name contains `query`, for mentions: at most 8.
#[tauri::command]
#[specta::specta]
pub async fn people_named(state: State<'_, AppState>, query: String) -> AppResult<Vec<PersonView>> {
    on_node(&state, move |n| n.people_named(&query, MAX_PEOPLE_NAMED)).await
}

/// Most accounts [`people_named`] returns.
const MAX_PEOPLE_NAMED: usize = 8;

/// One account's posts, newest first.
#[tauri::command]
#[specta::specta]
pub async fn feed(
    state: State<'_, AppState>,
    account: String,
    limit: u32,
    before: Option<String>,
) -> AppResult<Page> {
    let account = parse_account(&account)?;
    let limit = page_size(limit)?;
    on_node(&state, move |n| n.feed(account, limit, before.as_deref())).await
}

/// A post with its ancestors and replies.
#[tauri::command]
#[specta::specta]
pub async fn thread(state: State<'_, AppState>, post: String) -> AppResult<Page> {
    let post = parse_post(&post)?;
    on_node(&state, move |n| n.thread(&post)).await
}

/// Most posts one `posts` call reads.
const MAX_POSTS_READ: usize = 100;

/// The posts held among `ids` as they are now (counts, edits, moderation;
/// a deleted one as its placeholder), in the order asked: ids not held are
/// left out. What a list shows is read again with it when peers change it.
#[tauri::command]
#[specta::specta]
pub async fn posts(state: State<'_, AppState>, ids: Vec<String>) -> AppResult<Vec<PostView>> {
    if ids.len() > MAX_POSTS_READ {
        return Err(AppError::new(
            "invalid",
            format!(
                "at most {MAX_POSTS_READ} posts are read at once, not {}",
                ids.len()
            ),
        ));
    }
    let ids = ids
        .iter()
        .map(|id| parse_post(id))
        .collect::<AppResult<Vec<_>>>()?;
    on_node(&state, move |n| n.posts(&ids)).await
}

/// Full-text search of every post held (whole words, case and accents
/// ignored), a page after `before`.
#[tauri::command]
#[specta::specta]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
    before: Option<String>,
) -> AppResult<Page> {
    let limit = page_size(limit)?;
    on_node(&state, move |n| n.search(&query, limit, before.as_deref())).await
}

/// A profile; the own one when `account` is null.
#[tauri::command]
#[specta::specta]
pub async fn profile(
    state: State<'_, AppState>,
    account: Option<String>,
) -> AppResult<ProfileView> {
    let account = account.as_deref().map(parse_account).transpose()?;
    on_node(&state, move |n| n.profile(account)).await
}

/// The accounts followed.
#[tauri::command]
#[specta::specta]
pub async fn following(state: State<'_, AppState>) -> AppResult<Vec<Followed>> {
    let list = on_node(&state, |n| n.following()).await?;
    Ok(list
        .into_iter()
        .map(|(a, name)| Followed {
            account: a.to_string(),
            name,
        })
        .collect())
}

/// A page of whom an account (own when null) follows, or of the feeds on
/// this computer that follow it; `before` is the previous page's `next`.
#[tauri::command]
#[specta::specta]
pub async fn follows(
    state: State<'_, AppState>,
    account: Option<String>,
    direction: FollowDirection,
    limit: u32,
    before: Option<String>,
) -> AppResult<FollowPage> {
    let account = account.as_deref().map(parse_account).transpose()?;
    let limit = page_size(limit)?;
    on_node(&state, move |n| {
        n.follows(account, direction, limit, before.as_deref())
    })
    .await
}

/// Publishes a post (stored and signed here; delivered when peers are
/// reachable). Returns its id.
#[tauri::command]
#[specta::specta]
pub async fn publish(state: State<'_, AppState>, draft: Draft) -> AppResult<String> {
    let images = draft
        .images
        .iter()
        .map(ImageData::decode)
        .collect::<AppResult<Vec<_>>>()?;
    let new = NewPost {
        text: draft.text.filter(|t| !t.trim().is_empty()),
        cw: draft.cw.filter(|c| !c.trim().is_empty()),
        images,
        descriptions: draft.descriptions,
        reply_to: draft.reply_to.as_deref().map(parse_post).transpose()?,
        quote_of: draft.quote_of.as_deref().map(parse_post).transpose()?,
    };
    let id = on_node(&state, move |n| n.post(new)).await?;
    Ok(id.to_string())
}

/// Reacts to a post with an emoji.
#[tauri::command]
#[specta::specta]
pub async fn react(state: State<'_, AppState>, post: String, reaction: String) -> AppResult<()> {
    let post = parse_post(&post)?;
    on_node(&state, move |n| n.react(&post, &reaction)).await
}

/// Takes back this account's reaction to a post.
#[tauri::command]
#[specta::specta]
pub async fn unreact(state: State<'_, AppState>, post: String, reaction: String) -> AppResult<()> {
    let post = parse_post(&post)?;
    on_node(&state, move |n| n.unreact(&post, &reaction)).await
}

/// What an edit of an own post changes.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct PostChange {
    /// The new text.
    pub text: String,
    /// The content warning (empty: none).
    pub cw: String,
    /// What each image shows, in order (empty: not described).
    pub descriptions: Vec<String>,
}

/// Replaces the text, content warning and image descriptions of an own
/// post.
#[tauri::command]
#[specta::specta]
pub async fn edit_post(
    state: State<'_, AppState>,
    post: String,
    change: PostChange,
) -> AppResult<()> {
    let post = parse_post(&post)?;
    let edit = kith_node::PostEdit {
        text: change.text,
        cw: Some(change.cw),
        descriptions: Some(change.descriptions),
    };
    on_node(&state, move |n| n.edit(&post, edit)).await
}

/// Deletes an own post (its text and images are erased).
#[tauri::command]
#[specta::specta]
pub async fn delete_post(state: State<'_, AppState>, post: String) -> AppResult<()> {
    let post = parse_post(&post)?;
    on_node(&state, move |n| n.delete(&post)).await
}

/// Follows an account.
#[tauri::command]
#[specta::specta]
pub async fn follow(state: State<'_, AppState>, account: String) -> AppResult<()> {
    let account = parse_account(&account)?;
    on_node(&state, move |n| n.follow(account)).await
}

/// Stops following an account.
#[tauri::command]
#[specta::specta]
pub async fn unfollow(state: State<'_, AppState>, account: String) -> AppResult<()> {
    let account = parse_account(&account)?;
    on_node(&state, move |n| n.unfollow(account)).await
}

/// Changes the own profile; returns it.
#[tauri::command]
#[specta::specta]
pub async fn set_profile(state: State<'_, AppState>, edit: ProfileEdit) -> AppResult<ProfileView> {
    let avatar = edit.avatar.as_ref().map(ImageData::decode).transpose()?;
    on_node(&state, move |n| {
        n.set_profile(edit.name.as_deref(), edit.bio.as_deref(), avatar.as_deref())?;
        n.profile(None)
    })
    .await
}

/// Asks the running node's network task something and waits for the answer.
async fn ask_swarm<T>(
    session: &Session,
    make: impl FnOnce(tokio::sync::oneshot::Sender<T>) -> Command,
) -> AppResult<T> {
    session
        .running
        .replicator
        .swarm
        .ask(make)
        .await
        .map_err(|e| AppError::new("stopped", e))
}

/// Connected peers: how each was found, latency, and whose computer each
/// is when a feed held here says so.
#[tauri::command]
#[specta::specta]
pub async fn peers(state: State<'_, AppState>) -> AppResult<Vec<PeerInfo>> {
    let session = state.session()?;
    let mut peers: Vec<PeerInfo> = ask_swarm(&session, |reply| Command::Peers { reply }).await?;
    PeerOwners::read(&session.running.replicator)
        .await
        .name_peers(&mut peers);
    Ok(peers)
}

/// The peers mDNS found on the LAN, connected or not, and whether it looks at all.
#[tauri::command]
#[specta::specta]
pub async fn lan_peers(state: State<'_, AppState>) -> AppResult<LanPeers> {
    let session = state.session()?;
    let mut lan: LanPeers = ask_swarm(&session, |reply| Command::LanPeers { reply }).await?;
    PeerOwners::read(&session.running.replicator)
        .await
        .name_lan(&mut lan);
    Ok(lan)
}

/// Per carried feed: changes held, peers holding it, sync progress.
#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> AppResult<SyncStatus> {
    let session = state.session()?;
    Ok(session.running.replicator.sync_status().await?)
}

/// Dials a peer's multiaddr; returns its peer id.
#[tauri::command]
#[specta::specta]
pub async fn connect(state: State<'_, AppState>, addr: String) -> AppResult<String> {
    let session = state.session()?;
    let v = session
        .running
        .control(ControlRequest::Connect {
            addr: addr.trim().to_owned(),
        })
        .await?;
    Ok(v["peer_id"].as_str().unwrap_or_default().to_owned())
}

fn qr_svg(text: &str) -> AppResult<String> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| AppError::new("invalid", format!("cannot draw a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

/// This account's invite code, as text and as a QR code.
#[tauri::command]
#[specta::specta]
pub async fn invite(state: State<'_, AppState>) -> AppResult<InviteInfo> {
    let session = state.session()?;
    let v = session.running.control(ControlRequest::Invite).await?;
    let code = v["code"].as_str().unwrap_or_default().to_owned();
    Ok(InviteInfo {
        qr_svg: qr_svg(&code)?,
        account: v["account"].as_str().unwrap_or_default().to_owned(),
        addrs: v["addrs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        code,
    })
}

/// Accepts an invite code (or a bare account id): follows the account and
/// keeps dialling the invite's addresses. Returns the account.
#[tauri::command]
#[specta::specta]
pub async fn accept_invite(state: State<'_, AppState>, code: String) -> AppResult<String> {
    let invite = if Invite::looks_like(&code) {
        Invite::parse(&code).map_err(|e| AppError::new("invalid", e))?
    } else {
        Invite {
            account: parse_account(&code)?,
            addrs: Vec::new(),
        }
    };
    let session = state.session()?;
    let account = invite.account;
    let addrs = invite.addrs.clone();
    on_node(&state, move |n| {
        for addr in &addrs {
            if let Some(peer) = kith_net::swarm::peer_of(addr) {
                n.store().remember_peer(
                    &peer.to_string(),
                    std::slice::from_ref(&addr.to_string()),
                    kith_node::now_ms(),
                )?;
            }
        }
        if n.identity()?.account != account {
            n.follow(account)?;
        }
        Ok(())
    })
    .await?;
    for addr in invite.addrs {
        if let Some(peer) = kith_net::swarm::peer_of(&addr) {
            session.running.replicator.remember(peer, addr);
        }
    }
    Ok(account.to_string())
}

/// Sends progress of a transfer to the window, at most every 1/200 of it.
fn progress_reporter(app: AppHandle, phase: TransferPhase) -> impl FnMut(u64, u64) + Send {
    let mut last = 0u64;
    move |done, total| {
        let step = (total / 200).max(1);
        if done == total || done >= last + step || done < last {
            last = done;
            let _ = TransferProgress { phase, done, total }.emit(&app);
        }
    }
}

/// The name an export suggests, dated so that bundles carried on
/// different days do not replace each other: `kith-2026-12-07.bundle`.
fn bundle_file_name() -> String {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    format!("kith-{}.bundle", now.date())
}

async fn pick_file(app: &AppHandle, save: bool) -> Option<PathBuf> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app
        .dialog()
        .file()
        .set_title(if save {
            "Export your feed and the feeds you follow"
        } else {
            "Import a Kith bundle"
        })
        .add_filter("Kith bundle", &["kith", "bundle"]);
    let done = move |p: Option<tauri_plugin_dialog::FilePath>| {
        let _ = tx.send(p.and_then(|p| p.into_path().ok()));
    };
    if save {
        dialog.set_file_name(bundle_file_name()).save_file(done);
    } else {
        dialog.pick_file(done);
    }
    rx.await.ok().flatten()
}

/// Asks where to save, then writes a bundle of the own feed and every
/// followed feed (for a USB stick). `null` when the dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_bundle(
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Option<TransferSummary>> {
    state.session()?;
    let Some(path) = pick_file(&app, true).await else {
        return Ok(None);
    };
    let out = path.clone();
    let mut progress = progress_reporter(app, TransferPhase::Export);
    let report = on_node(&state, move |n| n.export(&[], &out, &mut progress)).await?;
    Ok(Some(TransferSummary {
        path: path.display().to_string(),
        feeds: report.feeds as u32,
        changes: report.changes as u32,
        duplicates: 0,
        blobs: report.blobs as u32,
    }))
}

/// Asks for a bundle file, then verifies and imports it. `null` when the
/// dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn import_bundle(
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Option<TransferSummary>> {
    let session = state.session()?;
    let Some(path) = pick_file(&app, false).await else {
        return Ok(None);
    };
    let file = path.clone();
    let mut progress = progress_reporter(app, TransferPhase::Import);
    let report = on_node(&state, move |n| n.import(&file, &mut progress)).await?;
    session.running.replicator.refresh_carried().await;
    Ok(Some(TransferSummary {
        path: path.display().to_string(),
        feeds: report.feeds as u32,
        changes: report.changes as u32,
        duplicates: report.duplicates as u32,
        blobs: report.blobs as u32,
    }))
}

/// The app's settings.
#[tauri::command]
#[specta::specta]
pub fn settings(state: State<'_, AppState>) -> Settings {
    let settings = Settings::load(&state.home);
    // The zoom the window shows, one of the steps the screen offers.
    Settings {
        zoom: settings.zoom_step(),
        ..settings
    }
}

/// Quits Kith (`Ctrl` `Q`): the node stops as when the window is closed.
#[tauri::command]
#[specta::specta]
pub fn quit(app: tauri::AppHandle) {
    tracing::info!("quit from the window");
    app.exit(0);
}

/// Saves one preference at once, the other settings as they are, and
/// applies it: Settings applies the theme, the notifications and the lock
/// after inactivity as they are chosen, without a Save.
#[tauri::command]
#[specta::specta]
pub fn set_preference(
    state: State<'_, AppState>,
    preference: crate::settings::Preference,
) -> AppResult<()> {
    Settings::save_preference(&state.home, preference)?;
    if let (crate::settings::Preference::Notifications(on), Ok(session)) =
        (preference, state.session())
    {
        session
            .notifications
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(())
}

/// Zooms the window to `percent` (one of the settings' zoom steps) and
/// saves it for the next start; works before the account is open too.
#[tauri::command]
#[specta::specta]
pub fn set_zoom(
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
    percent: u16,
) -> AppResult<()> {
    Settings::save_zoom(&state.home, percent)?;
    window
        .set_zoom(f64::from(percent) / 100.0)
        .map_err(|e| AppError::new("internal", format!("zooming the window: {e}")))
}

/// Where the node listens now, and why it listens elsewhere than the
/// settings ask when it had to fall back at start.
#[tauri::command]
#[specta::specta]
pub async fn listen_status(state: State<'_, AppState>) -> AppResult<ListenStatus> {
    let session = state.session()?;
    ask_swarm(&session, |reply| Command::ListenStatus { reply }).await
}

/// Saves the settings and applies them at once. The listen addresses are
/// applied first: when a changed one cannot be used (a port in use),
/// nothing is saved and the node listens where it did. Unchanged ones that
/// still cannot be used (the node fell back at start) do not stop the rest
/// from being saved. Bootstrap peers not connected are dialled.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(state: State<'_, AppState>, mut settings: Settings) -> AppResult<()> {
    // The zoom is `set_zoom`'s: a screen opened before a Ctrl+= does not
    // take it back (a level edited by hand off the steps becomes the
    // nearest step rather than refusing the rest).
    settings.zoom = Settings::load(&state.home).zoom_step();
    let Ok(session) = state.session() else {
        return settings.save(&state.home); // not running yet: read at start
    };
    let config = settings.net_config()?;
    let unchanged = Settings::load(&state.home).listens_as(&settings);
    let swarm = &session.running.replicator.swarm;
    let before = ask_swarm(&session, |reply| Command::ListenStatus { reply }).await?;
    if let Err(e) = swarm.set_listen(config.listen).await {
        if !unchanged {
            return Err(AppError::new(
                "listen",
                format!("Not saved: {e}. Kith still listens where it did."),
            ));
        }
        // Settings keeps showing the problem the node fell back for.
        tracing::warn!(error = %e, "the saved listen addresses still cannot be used");
    }
    if let Err(e) = settings.save(&state.home) {
        let back = before
            .wanted
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect();
        if let Err(undo) = swarm.set_listen(back).await {
            tracing::warn!(error = %undo, "could not listen where the node did before");
        }
        return Err(e);
    }
    session
        .notifications
        .store(settings.notifications, std::sync::atomic::Ordering::Relaxed);
    session
        .running
        .replicator
        .bootstrap(&config.bootstrap)
        .await
        .map_err(|e| AppError::new("stopped", e))?;
    let on = settings.mdns;
    ask_swarm(&session, |reply| Command::SetLanDiscovery { on, reply })
        .await?
        .map_err(|e| {
            AppError::new(
                "mdns",
                format!("Saved, but looking for peers on the LAN could not start: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_suggests_a_name_with_todays_date() {
        let name = bundle_file_name();
        let date = name
            .strip_prefix("kith-")
            .and_then(|n| n.strip_suffix(".bundle"))
            .unwrap_or_else(|| panic!("not kith-<date>.bundle: {name}"));
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let parsed = time::Date::parse(date, &format).expect("a date");
        let today = time::OffsetDateTime::now_utc().date();
        assert!(
            (parsed - today).whole_days().abs() <= 1,
            "{parsed} is today here (UTC {today})"
        );
    }
}
