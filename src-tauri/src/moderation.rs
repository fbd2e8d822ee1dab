//! The moderation commands: blocks, mutes, muted words, moderation
//! lists, subscriptions, reports and the replication policy. Like the
//! others they are thin wrappers over the node.
#![allow(clippy::needless_pass_by_value)] // Tauri hands arguments by value

use kith_core::ListId;
use kith_core::moderation::{Label, Target};
use kith_node::{ListDetail, ModerationOverview};
use kith_store::{ListView, Policy, ReportView, Scope};
use tauri::State;

use crate::commands::{on_node, parse_account};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn parse_list(s: &str) -> AppResult<ListId> {
    s.trim()
        .parse()
        .map_err(|e| AppError::new("invalid", format!("not a list id: {e}")))
}

fn parse_target(s: &str) -> AppResult<Target> {
    s.trim()
        .parse()
        .map_err(|e| AppError::new("invalid", format!("not an account or post id: {e}")))
}

fn parse_labels(labels: &[String]) -> AppResult<Vec<Label>> {
    labels
        .iter()
        .map(|l| {
            l.parse()
                .map_err(|e| AppError::new("invalid", format!("{e}")))
        })
        .collect()
}

/// Blocks an account: nothing of it is shown, stored or relayed, and what
/// was stored is purged. `publicly` records the block in the own feed.
#[tauri::command]
#[specta::specta]
pub async fn block(state: State<'_, AppState>, account: String, publicly: bool) -> AppResult<()> {
    let account = parse_account(&account)?;
    on_node(&state, move |n| n.block(account, publicly)).await
}

/// Ends a block.
#[tauri::command]
#[specta::specta]
pub async fn unblock(state: State<'_, AppState>, account: String) -> AppResult<()> {
    let account = parse_account(&account)?;
    on_node(&state, move |n| n.unblock(account)).await
}

/// Mutes an account (its posts leave timelines and search).
#[tauri::command]
#[specta::specta]
pub async fn mute(state: State<'_, AppState>, account: String, publicly: bool) -> AppResult<()> {
    let account = parse_account(&account)?;
    on_node(&state, move |n| n.mute(account, publicly)).await
}

/// Ends a mute.
#[tauri::command]
#[specta::specta]
pub async fn unmute(state: State<'_, AppState>, account: String) -> AppResult<()> {
    let account = parse_account(&account)?;
    on_node(&state, move |n| n.unmute(account)).await
}

/// Mutes a word or `#hashtag`; returns it as stored (lower case).
#[tauri::command]
#[specta::specta]
pub async fn mute_word(
    state: State<'_, AppState>,
    word: String,
    publicly: bool,
) -> AppResult<String> {
    on_node(&state, move |n| n.mute_word(&word, publicly)).await
}

/// Ends a muted word.
#[tauri::command]
#[specta::specta]
pub async fn unmute_word(state: State<'_, AppState>, word: String) -> AppResult<String> {
    on_node(&state, move |n| n.unmute_word(&word)).await
}

/// Blocks, mutes, words, own lists, subscriptions, policy, open reports.
#[tauri::command]
#[specta::specta]
pub async fn moderation(state: State<'_, AppState>) -> AppResult<ModerationOverview> {
    on_node(&state, |n| n.moderation()).await
}

/// Creates a moderation list; returns it.
#[tauri::command]
#[specta::specta]
pub async fn create_list(state: State<'_, AppState>, name: String) -> AppResult<ListDetail> {
    on_node(&state, move |n| {
        let id = n.create_list(&name)?;
        n.list(id)
    })
    .await
}

/// A list with its entries.
#[tauri::command]
#[specta::specta]
pub async fn list_detail(state: State<'_, AppState>, list: String) -> AppResult<ListDetail> {
    let list = parse_list(&list)?;
    on_node(&state, move |n| n.list(list)).await
}

/// Adds (or replaces) an entry of an own list; returns the list.
#[tauri::command]
#[specta::specta]
pub async fn list_add(
    state: State<'_, AppState>,
    list: String,
    target: String,
    labels: Vec<String>,
    reason: String,
) -> AppResult<ListDetail> {
    let (list, target, labels) = (
        parse_list(&list)?,
        parse_target(&target)?,
        parse_labels(&labels)?,
    );
    on_node(&state, move |n| {
        n.list_add(list, target, &labels, &reason)?;
        n.list(list)
    })
    .await
}

/// Removes an entry of an own list; returns the list.
#[tauri::command]
#[specta::specta]
pub async fn list_remove(
    state: State<'_, AppState>,
    list: String,
    target: String,
) -> AppResult<ListDetail> {
    let (list, target) = (parse_list(&list)?, parse_target(&target)?);
    on_node(&state, move |n| {
        n.list_remove(list, target)?;
        n.list(list)
    })
    .await
}

/// Subscribes to a list, or changes which labels it hides and covers.
#[tauri::command]
#[specta::specta]
pub async fn subscribe_list(
    state: State<'_, AppState>,
    list: String,
    hide: Vec<String>,
    warn: Vec<String>,
) -> AppResult<ListView> {
    let (list, hide, warn) = (
        parse_list(&list)?,
        parse_labels(&hide)?,
        parse_labels(&warn)?,
    );
    on_node(&state, move |n| {
        n.subscribe(list, &hide, &warn)?;
        Ok(n.store().list(list)?)
    })
    .await
}

/// Ends a subscription.
#[tauri::command]
#[specta::specta]
pub async fn unsubscribe_list(state: State<'_, AppState>, list: String) -> AppResult<()> {
    let list = parse_list(&list)?;
    on_node(&state, move |n| n.unsubscribe(list)).await
}

/// Reports an account or post to the maintainer of `to` (or of every
/// subscribed list); the reports are queued until delivered.
#[tauri::command]
#[specta::specta]
pub async fn report(
    state: State<'_, AppState>,
    target: String,
    labels: Vec<String>,
    text: String,
    to: Option<String>,
) -> AppResult<Vec<ReportView>> {
    let (target, labels) = (parse_target(&target)?, parse_labels(&labels)?);
    let to = to.as_deref().map(parse_list).transpose()?;
    on_node(&state, move |n| n.report(target, &labels, &text, to)).await
}

/// Reports received for own lists (open ones unless `all`).
#[tauri::command]
#[specta::specta]
pub async fn reports(state: State<'_, AppState>, all: bool) -> AppResult<Vec<ReportView>> {
    on_node(&state, move |n| Ok(n.store().inbox(all)?)).await
}

/// Reports this home sent, with their delivery state.
#[tauri::command]
#[specta::specta]
pub async fn sent_reports(state: State<'_, AppState>) -> AppResult<Vec<ReportView>> {
    on_node(&state, |n| Ok(n.store().outbox()?)).await
}

/// Accepts a received report (its target joins the list, with its labels
/// and text) or dismisses it.
#[tauri::command]
#[specta::specta]
pub async fn resolve_report(
    state: State<'_, AppState>,
    id: String,
    accept: bool,
) -> AppResult<ReportView> {
    on_node(&state, move |n| n.resolve_report(&id, accept)).await
}

/// Changes the replication policy.
#[tauri::command]
#[specta::specta]
pub async fn set_policy(
    state: State<'_, AppState>,
    scope: Scope,
    peer_rate: u32,
) -> AppResult<Policy> {
    on_node(&state, move |n| n.set_policy(Some(scope), Some(peer_rate))).await
}
