//! The search index: an FTS5 table without content of its own, holding
//! the words of each stored body (its text, content warning and image
//! descriptions) under the post's row id. Without content, taking a
//! body's words out needs the very values that went in, so both go
//! through here.

use kith_core::Body;
use rusqlite::{Connection, params};

use crate::error::Result;

/// A body's image descriptions as the one column they are indexed in.
fn descriptions(body: &Body) -> String {
    body.descriptions.join("\n")
}

/// Adds the words of `body`, the body of post row `rowid`.
pub(crate) fn index(conn: &Connection, rowid: i64, body: &Body) -> Result<()> {
    conn.prepare_cached("INSERT INTO posts_fts(rowid, text, cw, alt) VALUES(?1, ?2, ?3, ?4)")?
        .execute(params![rowid, body.text, body.cw, descriptions(body)])?;
    Ok(())
}

/// Takes out the words of `body`, which [`index`] added for `rowid`
/// (`secure-delete` scrubs them from the index pages).
pub(crate) fn unindex(conn: &Connection, rowid: i64, body: &Body) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO posts_fts(posts_fts, rowid, text, cw, alt) VALUES('delete', ?1, ?2, ?3, ?4)",
    )?
    .execute(params![rowid, body.text, body.cw, descriptions(body)])?;
    Ok(())
}

/// Indexes every stored body again, into an index just made empty (the
/// migration that added the descriptions' column). A body that does not
/// decode (none should: each was decoded before it was stored) is left
/// out of the index and kept. Returns how many bodies were indexed.
pub(crate) fn reindex(conn: &Connection) -> Result<u64> {
    let mut stmt =
        conn.prepare("SELECT id, body FROM posts WHERE body IS NOT NULL AND deleted = 0")?;
    let mut rows = stmt.query([])?;
    let mut indexed = 0;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        match Body::decode(&bytes) {
            Ok(body) => {
                index(conn, rowid, &body)?;
                indexed += 1;
            }
            Err(e) => {
                tracing::warn!(post = rowid, error = %e, "a stored body does not decode; not searchable");
            }
        }
    }
    Ok(indexed)
}
