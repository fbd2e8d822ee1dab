//! Reports: the outbox of reports this home sent (kept until a
//! maintainer's node acknowledged them) and the inbox of reports sent to
//! the lists this home maintains.

use kith_core::report::Report;
use kith_core::{AccountId, ListId};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::{Result, StoreError};

/// Most reports kept in the inbox; older handled ones are dropped first,
/// and beyond it new reports are refused.
pub const MAX_INBOX: i64 = 10_000;
/// Most reports waiting in the outbox.
pub const MAX_OUTBOX: i64 = 1_000;

/// A report waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReport {
    /// Its id (BLAKE3 of the signed bytes).
    pub id: [u8; 32],
    /// The list, whose maintainer receives it.
    pub list: ListId,
    /// The signed bytes.
    pub signed: Vec<u8>,
}

/// A report as front ends show it (inbox or outbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReportView {
    /// Its id (hex).
    pub id: String,
    /// The list (`kithlist1…`).
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub list: ListId,
    /// The list's name, when known.
    pub list_name: Option<String>,
    /// Who reported (`kith1…`).
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub reporter: AccountId,
    /// The reporter's display name, when known.
    pub reporter_name: Option<String>,
    /// The account (`kith1…`) or post (`kithpost1…`) reported.
    pub target: String,
    /// Label names.
    pub labels: Vec<String>,
    /// The reporter's words.
    pub text: String,
    /// When it was written.
    pub created_at: i64,
    /// Inbox: `open`, `accepted` or `dismissed`. Outbox: `queued` or `delivered`.
    pub status: String,
}

impl Store {
    /// Queues a signed report for delivery.
    pub fn queue_report(&mut self, report: &Report, signed: &[u8], now: i64) -> Result<[u8; 32]> {
        let waiting: i64 = self.conn.query_row(
            "SELECT count(*) FROM report_outbox WHERE delivered_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        if waiting >= MAX_OUTBOX {
            return Err(StoreError::Full(format!(
                "{waiting} reports are waiting for delivery; wait until maintainers are reachable"
            )));
        }
        let id = Report::id_of(signed);
        self.conn.execute(
            "INSERT OR IGNORE INTO report_outbox(id, list, target, labels, signed, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id.as_slice(),
                report.list.to_bytes().as_slice(),
                report.target.to_bytes(),
                i64::from(report.labels.0),
                signed,
                now
            ],
        )?;
        Ok(id)
    }

    /// Reports not delivered yet, oldest first.
    pub fn pending_reports(&self) -> Result<Vec<PendingReport>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, list, signed FROM report_outbox WHERE delivered_at IS NULL ORDER BY created_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, list, signed) = row?;
            if let (Ok(id), Ok(list)) = (<[u8; 32]>::try_from(id), ListId::from_bytes(&list)) {
                out.push(PendingReport { id, list, signed });
            }
        }
        Ok(out)
    }

    /// Records that a maintainer's node acknowledged a report.
    pub fn report_delivered(&mut self, id: &[u8; 32], now: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE report_outbox SET delivered_at = ?2, attempts = attempts + 1 WHERE id = ?1",
            params![id.as_slice(), now],
        )?;
        Ok(())
    }

    /// Stores a verified report sent to one of this home's lists.
    /// Returns `false` when it was already there.
    pub fn receive_report(&mut self, report: &Report, signed: &[u8], now: i64) -> Result<bool> {
        let Some(own) = self.own else {
            return Err(StoreError::NotFound("an account on this node".into()));
        };
        if report.list.owner != own {
            return Err(StoreError::NotFound(format!(
                "list {} on this node (it belongs to another account)",
                report.list
            )));
        }
        if self.list(report.list)?.name.is_none() {
            return Err(StoreError::NotFound(format!("list {}", report.list)));
        }
        let tx = self.conn.transaction()?;
        let held: i64 = tx.query_row("SELECT count(*) FROM report_inbox", [], |r| r.get(0))?;
        if held >= MAX_INBOX {
            tx.execute(
                "DELETE FROM report_inbox WHERE id IN (SELECT id FROM report_inbox WHERE status != 'open' ORDER BY received_at LIMIT 100)",
                [],
            )?;
            let held: i64 = tx.query_row("SELECT count(*) FROM report_inbox", [], |r| r.get(0))?;
            if held >= MAX_INBOX {
                return Err(StoreError::Full(format!(
                    "the report inbox holds {held} open reports"
                )));
            }
        }
        let n = tx.execute(
            "INSERT OR IGNORE INTO report_inbox(id, reporter, list, target, labels, text, created_at, received_at, signed)
             VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                Report::id_of(signed).as_slice(),
                report.reporter.as_bytes().as_slice(),
                i64::from_be_bytes(report.list.local),
                report.target.to_bytes(),
                i64::from(report.labels.0),
                report.text,
                report.created_at,
                now,
                signed
            ],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Reports received for this home's lists, newest first (`open` only
    /// unless `all`).
    pub fn inbox(&self, all: bool) -> Result<Vec<ReportView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT signed, status FROM report_inbox WHERE ?1 OR status = 'open' ORDER BY received_at DESC",
        )?;
        let rows = stmt.query_map([all], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (signed, status) = row?;
            if let Ok(view) = self.report_view(&signed, status) {
                out.push(view);
            }
        }
        Ok(out)
    }

    /// Reports this home sent, newest first.
    pub fn outbox(&self) -> Result<Vec<ReportView>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT signed, delivered_at IS NOT NULL FROM report_outbox ORDER BY created_at DESC",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, bool>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (signed, delivered) = row?;
            let status = if delivered { "delivered" } else { "queued" };
            if let Ok(view) = self.report_view(&signed, status.into()) {
                out.push(view);
            }
        }
        Ok(out)
    }

    /// One received report by id (hex, or a unique prefix of at least 8 digits).
    pub fn inbox_report(&self, id: &str) -> Result<(Report, ReportView)> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() < 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound(format!(
                "report `{}` (give at least 8 hex digits of its id)",
                id.chars().take(64).collect::<String>()
            )));
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT signed, status FROM report_inbox WHERE hex(id) LIKE ?1 || '%'",
        )?;
        let rows: Vec<(Vec<u8>, String)> = stmt
            .query_map([id.to_ascii_uppercase()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        match rows.as_slice() {
            [(signed, status)] => {
                let report = Report::read_stored(signed)?;
                let view = self.report_view(signed, status.clone())?;
                Ok((report, view))
            }
            [] => Err(StoreError::NotFound(format!("report {id}"))),
            _ => Err(StoreError::NotFound(format!(
                "a single report starting with {id} ({} match; give more digits)",
                rows.len()
            ))),
        }
    }

    /// Marks a received report `accepted` or `dismissed`.
    pub fn set_report_status(&mut self, id: &str, status: &str) -> Result<()> {
        let (_, view) = self.inbox_report(id)?;
        let bytes = hex::decode(&view.id).map_err(|e| StoreError::NotFound(e.to_string()))?;
        self.conn.execute(
            "UPDATE report_inbox SET status = ?2 WHERE id = ?1",
            params![bytes, status],
        )?;
        Ok(())
    }

    /// A stored report (verified when it was received or written) as
    /// front ends show it.
    fn report_view(&self, signed: &[u8], status: String) -> Result<ReportView> {
        let report = Report::read_stored(signed)?;
        let name = |a: AccountId| -> Result<Option<String>> { Ok(self.profile(a)?.name) };
        Ok(ReportView {
            id: hex::encode(Report::id_of(signed)),
            list: report.list,
            list_name: self.list(report.list)?.name,
            reporter: report.reporter,
            reporter_name: name(report.reporter)?,
            target: report.target.to_string(),
            labels: report
                .labels
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            text: report.text,
            created_at: report.created_at,
            status,
        })
    }
}
