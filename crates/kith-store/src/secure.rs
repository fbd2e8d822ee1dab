//! Making deletion real on disk.

use rusqlite::Connection;

use crate::error::Result;

/// Checkpoints the WAL into the database and truncates it to zero bytes.
/// With `secure_delete` on, freed cells and pages in the database file are
/// zeroed, so after this a purged body exists in no store file.
pub(crate) fn checkpoint(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}
