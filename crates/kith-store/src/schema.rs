//! The database schema and its versioned migrations.

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// Migrations, applied in order; migration `i` brings the schema to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r"
    CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
    CREATE TABLE feeds(
        id INTEGER PRIMARY KEY,
        account BLOB NOT NULL UNIQUE,
        home INTEGER NOT NULL DEFAULT 0,
        name TEXT,
        bio TEXT,
        avatar BLOB,
        snapshot BLOB,
        snapshot_changes INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE certs(
        id INTEGER PRIMARY KEY,
        ref BLOB NOT NULL UNIQUE,
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        device BLOB NOT NULL,
        cert BLOB NOT NULL
    );
    -- One row per verified change: what is needed to rebuild its signed
    -- envelope from the feed's snapshot (automerge regenerates identical bytes).
    CREATE TABLE changes(
        hash BLOB PRIMARY KEY,
        feed_id INTEGER NOT NULL,
        cert_id INTEGER NOT NULL,
        signature BLOB NOT NULL
    ) WITHOUT ROWID;
    -- The bytes of changes not yet in their feed's snapshot, appended in
    -- arrival order and deleted when a snapshot takes them in; `waiting` = 1
    -- while the document cannot apply one for lack of its dependencies.
    CREATE TABLE unsnapshotted(
        id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL,
        feed_id INTEGER NOT NULL,
        waiting INTEGER NOT NULL DEFAULT 0,
        bytes BLOB NOT NULL
    );
    CREATE INDEX unsnapshotted_feed ON unsnapshotted(feed_id, waiting);
    CREATE TABLE posts(
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        local INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        edited_at INTEGER,
        reply_to BLOB,
        quote_of BLOB,
        body_hash BLOB,
        body BLOB,
        attachments BLOB,
        deleted INTEGER NOT NULL DEFAULT 0,
        home INTEGER NOT NULL DEFAULT 0,
        UNIQUE(feed_id, local)
    );
    CREATE INDEX posts_home ON posts(created_at DESC, id DESC) WHERE home = 1 AND deleted = 0;
    CREATE INDEX posts_feed ON posts(feed_id, created_at DESC, id DESC);
    CREATE INDEX posts_reply ON posts(reply_to) WHERE reply_to IS NOT NULL;
    CREATE TABLE reactions(
        target BLOB NOT NULL,
        reaction TEXT NOT NULL,
        feed_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY(target, reaction, feed_id)
    ) WITHOUT ROWID;
    CREATE TABLE follows(
        feed_id INTEGER NOT NULL,
        target BLOB NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY(feed_id, target)
    ) WITHOUT ROWID;
    CREATE TABLE blocks(
        feed_id INTEGER NOT NULL,
        target BLOB NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY(feed_id, target)
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE posts_fts USING fts5(
        text, cw,
        content = '',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO posts_fts(posts_fts, rank) VALUES('secure-delete', 1);
    ",
    // 2: peers met before, so a node can find them again without mDNS.
    r"
    CREATE TABLE peers(
        peer_id TEXT PRIMARY KEY,
        addrs TEXT NOT NULL,
        last_seen INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 3: each feed's current heads and change count, so that replication
    // can compare feeds with peers without loading their documents.
    r"
    ALTER TABLE feeds ADD COLUMN heads BLOB;
    ALTER TABLE feeds ADD COLUMN change_count INTEGER NOT NULL DEFAULT 0;
    UPDATE feeds SET change_count = (SELECT count(*) FROM changes WHERE changes.feed_id = feeds.id);
    ",
    // 4: moderation. Public mutes, muted words, lists and list entries and
    // devices' network keys are materialized from feeds like follows and
    // blocks; private marks, list subscriptions and reports never leave
    // this machine.
    r"
    CREATE TABLE mutes(
        feed_id INTEGER NOT NULL,
        target BLOB NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY(feed_id, target)
    ) WITHOUT ROWID;
    CREATE TABLE muted_words(
        feed_id INTEGER NOT NULL,
        word TEXT NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY(feed_id, word)
    ) WITHOUT ROWID;
    CREATE TABLE peer_keys(
        feed_id INTEGER NOT NULL,
        device BLOB NOT NULL,
        peer_key BLOB NOT NULL,
        PRIMARY KEY(feed_id, device)
    ) WITHOUT ROWID;
    CREATE TABLE lists(
        feed_id INTEGER NOT NULL,
        local INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY(feed_id, local)
    ) WITHOUT ROWID;
    CREATE TABLE list_entries(
        feed_id INTEGER NOT NULL,
        list INTEGER NOT NULL,
        target BLOB NOT NULL,
        labels INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY(feed_id, list, target)
    ) WITHOUT ROWID;
    CREATE INDEX list_entries_target ON list_entries(target);
    CREATE TABLE private_blocks(target BLOB PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE private_mutes(target BLOB PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE private_muted_words(word TEXT PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE list_subscriptions(
        list BLOB PRIMARY KEY,
        hide INTEGER NOT NULL,
        warn INTEGER NOT NULL,
        since INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE report_outbox(
        id BLOB PRIMARY KEY,
        list BLOB NOT NULL,
        target BLOB NOT NULL,
        labels INTEGER NOT NULL,
        signed BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        delivered_at INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE report_inbox(
        id BLOB PRIMARY KEY,
        reporter BLOB NOT NULL,
        list INTEGER NOT NULL,
        target BLOB NOT NULL,
        labels INTEGER NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        signed BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE VIEW own_feed AS
        SELECT f.id FROM feeds f JOIN meta m ON m.key = 'own_account' AND m.value = f.account;
    CREATE VIEW my_blocks AS
        SELECT target FROM blocks WHERE feed_id IN own_feed UNION SELECT target FROM private_blocks;
    CREATE VIEW my_mutes AS
        SELECT target FROM mutes WHERE feed_id IN own_feed UNION SELECT target FROM private_mutes;
    CREATE VIEW my_muted_words AS
        SELECT word FROM muted_words WHERE feed_id IN own_feed UNION SELECT word FROM private_muted_words;
    ",
    // 5: change signatures in insertion order, found by hash through an
    // index. Keyed by their random hash, every page of a long sync touched
    // nearly every leaf of the table (~11 MB written per 6,600 changes at
    // 100,000); the index's leaves hold a third as many bytes.
    "
    CREATE TABLE changes_in_order(
        id INTEGER PRIMARY KEY,
        hash BLOB NOT NULL UNIQUE,
        feed_id INTEGER NOT NULL,
        cert_id INTEGER NOT NULL,
        signature BLOB NOT NULL
    );
    INSERT INTO changes_in_order(hash, feed_id, cert_id, signature)
        SELECT hash, feed_id, cert_id, signature FROM changes;
    DROP TABLE changes;
    ALTER TABLE changes_in_order RENAME TO changes;
    ",
    // 6: how many applied changes of a feed only its document in memory
    // holds, neither its snapshot nor `unsnapshotted`. Between the pages
    // of a sync, a feed with no snapshot yet keeps no bytes of the changes
    // it applies, and is saved after its last page (see
    // `docs::ChangeBytes`). A feed left above zero lost its document (the
    // process stopped mid-sync): its rows are dropped and fetched again.
    "ALTER TABLE feeds ADD COLUMN unsaved INTEGER NOT NULL DEFAULT 0;",
    // 7: blobs this home references but lacks, asked for again from peers
    // holding their feed until they arrive (`wanted.rs`). Every attachment
    // and profile picture already referenced is listed once, due at once:
    // those held are dropped at their first look, the others were lost to
    // a fetch that failed before this list existed.
    "
    CREATE TABLE wanted_blobs(
        hash BLOB PRIMARY KEY,
        feed_id INTEGER NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0,
        next_try INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX wanted_blobs_due ON wanted_blobs(next_try);
    CREATE INDEX wanted_blobs_feed ON wanted_blobs(feed_id);
    WITH RECURSIVE parts(feed_id, rest, hash) AS (
        SELECT feed_id, attachments, NULL FROM posts
            WHERE deleted = 0 AND length(attachments) >= 32
        UNION ALL
        SELECT feed_id, substr(rest, 33), substr(rest, 1, 32) FROM parts
            WHERE length(rest) >= 32
    )
    INSERT OR IGNORE INTO wanted_blobs(hash, feed_id, tries, next_try)
        SELECT hash, feed_id, 0, 0 FROM parts WHERE hash IS NOT NULL;
    INSERT OR IGNORE INTO wanted_blobs(hash, feed_id, tries, next_try)
        SELECT avatar, id, 0, 0 FROM feeds WHERE length(avatar) = 32;
    ",
    // 8: quotes and reposts found by the post they name, for the activity
    // of an account (as `posts_reply` finds its replies).
    "CREATE INDEX posts_quote ON posts(quote_of) WHERE quote_of IS NOT NULL;",
    // 9: the feeds that follow an account, for its followers known here.
    "CREATE INDEX follows_target ON follows(target);",
    // 10: the search index also holds image descriptions (column `alt`).
    // FTS5 cannot add a column: the index is made again, empty, and
    // `fts::reindex` (run in the same transaction, see `AFTER_SQL`) fills
    // it from the stored bodies.
    "
    DROP TABLE posts_fts;
    CREATE VIRTUAL TABLE posts_fts USING fts5(
        text, cw, alt,
        content = '',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO posts_fts(posts_fts, rank) VALUES('secure-delete', 1);
    ",
    // 11: the words of feeds' names, so that a search for a name also
    // finds the posts mentioning that account (their text holds its id).
    // Kept by triggers from `feeds` itself.
    "
    CREATE VIRTUAL TABLE feeds_fts USING fts5(
        name,
        content = 'feeds',
        content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO feeds_fts(feeds_fts) VALUES('rebuild');
    CREATE TRIGGER feeds_fts_insert AFTER INSERT ON feeds BEGIN
        INSERT INTO feeds_fts(rowid, name) VALUES(new.id, new.name);
    END;
    CREATE TRIGGER feeds_fts_delete AFTER DELETE ON feeds BEGIN
        INSERT INTO feeds_fts(feeds_fts, rowid, name) VALUES('delete', old.id, old.name);
    END;
    CREATE TRIGGER feeds_fts_update AFTER UPDATE OF name ON feeds
        WHEN old.name IS NOT new.name BEGIN
        INSERT INTO feeds_fts(feeds_fts, rowid, name) VALUES('delete', old.id, old.name);
        INSERT INTO feeds_fts(rowid, name) VALUES(new.id, new.name);
    END;
    ",
    // 12: the changes a feed's document left out (an equivocation and what
    // depends on it), so that they are left out at once after a restart,
    // and heads naming only them start no pull (docs/protocol.md §13.5).
    // `why`: 1 equivocation, 2 depends on a change left out.
    "
    CREATE TABLE left_out(
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        hash BLOB NOT NULL,
        why INTEGER NOT NULL,
        PRIMARY KEY(feed_id, hash)
    ) WITHOUT ROWID;
    ",
];

/// Work a migration needs besides its SQL (reading bodies, which SQL
/// cannot decode), by the version it brings the schema to; run in the
/// migration's transaction, after its SQL.
fn after_sql(version: i64, conn: &Connection) -> Result<()> {
    if version == 10 {
        let indexed = crate::fts::reindex(conn)?;
        tracing::info!(
            bodies = indexed,
            "search index rebuilt with image descriptions"
        );
    }
    Ok(())
}

/// The schema version this program writes.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// The size of a database page for a new database (SQLite's default is
/// 4 KiB). A sync writes many pages per transaction and the WAL writes and
/// checkpoints each with a system call: with 16 KiB pages, a 100,000-post
/// initial sync took ~7 % less time (docs/benchmarks.md). A database made
/// with another size keeps it.
pub const PAGE_SIZE: i64 = 16 * 1024;

/// Connection settings: page size (for a new database), WAL, foreign
/// keys, secure deletion.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    // Only takes effect before the first table is created, so it must come
    // before anything writes (WAL mode included).
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Brings the database to [`LATEST_VERSION`].
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    migrate_to(conn, LATEST_VERSION)
}

/// Brings the database to `target` (used by the upgrade test).
pub(crate) fn migrate_to(conn: &Connection, target: i64) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > LATEST_VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for version in current..target {
        let sql = MIGRATIONS[version as usize];
        let next = version + 1;
        conn.execute_batch(&format!("BEGIN; {sql};"))
            .map_err(StoreError::from)
            .and_then(|()| after_sql(next, conn))
            .and_then(|()| {
                conn.execute_batch(&format!("PRAGMA user_version = {next}; COMMIT;"))
                    .map_err(StoreError::from)
            })
            .inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            })?;
        tracing::info!(version = next, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_at_the_first_schema_upgrades_to_the_latest_and_keeps_its_data() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(crate::DB_FILE)).unwrap();
            configure(&conn).unwrap();
            migrate_to(&conn, 1).unwrap();
            conn.execute(
                "INSERT INTO feeds(account, name, home) VALUES(?1, 'Ada', 1)",
                [[7u8; 32].as_slice()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO posts(feed_id, local, created_at, body_hash, deleted, home) VALUES(1, 42, 1000, NULL, 0, 1)",
                [],
            )
            .unwrap();
            let two_images = [[1u8; 32], [2u8; 32]].concat();
            conn.execute(
                "INSERT INTO posts(feed_id, local, created_at, body_hash, attachments, deleted, home) VALUES(1, 43, 1001, NULL, ?1, 0, 1)",
                [two_images.as_slice()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO posts(feed_id, local, created_at, body_hash, attachments, deleted, home) VALUES(1, 44, 1002, NULL, ?1, 1, 1)",
                [[3u8; 32].as_slice()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO changes(hash, feed_id, cert_id, signature) VALUES(?1, 1, 3, ?2)",
                [[9u8; 32].as_slice(), [5u8; 64].as_slice()],
            )
            .unwrap();
            let v: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(v, 1);
        }
        let store = crate::Store::open(dir.path()).unwrap();
        let v: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST_VERSION);
        let name: String = store
            .conn()
            .query_row("SELECT name FROM feeds WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "Ada");
        let named: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM feeds_fts WHERE feeds_fts MATCH 'ada'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(named, 1, "names held before schema 11 are searchable");
        assert_eq!(store.timeline(10, None).unwrap().posts.len(), 2);
        let wanted: Vec<Vec<u8>> = store
            .conn()
            .prepare("SELECT hash FROM wanted_blobs ORDER BY hash")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<std::result::Result<_, _>>()
            .unwrap();
        assert_eq!(
            wanted,
            vec![vec![1u8; 32], vec![2u8; 32]],
            "the live post's attachments are wanted, the deleted post's are not"
        );
        let (feed, cert, signature): (i64, i64, Vec<u8>) = store
            .conn()
            .query_row(
                "SELECT feed_id, cert_id, signature FROM changes WHERE hash = ?1",
                [[9u8; 32].as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (feed, cert, signature),
            (1, 3, vec![5u8; 64]),
            "change signatures kept"
        );
        let duplicate = store.conn().execute(
            "INSERT OR IGNORE INTO changes(hash, feed_id, cert_id, signature) VALUES(?1, 1, 3, ?2)",
            [[9u8; 32].as_slice(), [6u8; 64].as_slice()],
        );
        assert_eq!(duplicate.unwrap(), 0, "a change is still stored once");
        store
            .conn()
            .execute(
                "INSERT INTO peers(peer_id, addrs, last_seen) VALUES('p', '[]', 1)",
                [],
            )
            .unwrap();
    }

    #[test]
    fn upgrade_to_10_indexes_the_stored_bodies_image_descriptions_in_one_go() {
        let dir = tempfile::tempdir().unwrap();
        let described = kith_core::Body::new("Au marché", Some("fruits"))
            .unwrap()
            .with_descriptions(vec!["Des fraises".into()])
            .unwrap();
        {
            let conn = Connection::open(dir.path().join(crate::DB_FILE)).unwrap();
            configure(&conn).unwrap();
            migrate_to(&conn, 9).unwrap();
            conn.execute(
                "INSERT INTO feeds(account, name, home) VALUES(?1, 'Ada', 1)",
                [[7u8; 32].as_slice()],
            )
            .unwrap();
            let posts: [(i64, Vec<u8>); 2] = [
                (1, described.encode()),
                // Never stored by Kith (bodies are decoded first); kept, not indexed.
                (2, b"\x09not a body".to_vec()),
            ];
            for (local, body) in posts {
                conn.execute(
                    "INSERT INTO posts(feed_id, local, created_at, body_hash, deleted, home, body) VALUES(1, ?1, ?1, ?2, 0, 1, ?3)",
                    rusqlite::params![local, [local as u8; 32].as_slice(), body],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO posts_fts(rowid, text, cw) VALUES(1, 'Au marché', 'fruits')",
                [],
            )
            .unwrap();
        }
        let store = crate::Store::open(dir.path()).unwrap();
        let version: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, LATEST_VERSION);
        for query in ["fraises", "marche", "fruits"] {
            let found: Vec<_> = store
                .search(query, 10, None)
                .unwrap()
                .posts
                .into_iter()
                .filter_map(|p| p.text)
                .collect();
            assert_eq!(
                found,
                ["Au marché"],
                "{query} finds the post after the upgrade"
            );
        }
        let kept: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM posts WHERE body IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, 2, "the undecodable body is kept");
    }

    #[test]
    fn database_from_a_newer_kith_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(crate::DB_FILE)).unwrap();
            conn.pragma_update(None, "user_version", LATEST_VERSION + 1)
                .unwrap();
        }
        let err = crate::Store::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("newer than this program"), "{err}");
    }

    fn page_size(dir: &std::path::Path) -> i64 {
        let conn = Connection::open(dir.join(crate::DB_FILE)).unwrap();
        conn.pragma_query_value(None, "page_size", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn new_database_uses_16_kib_pages() {
        let dir = tempfile::tempdir().unwrap();
        drop(crate::Store::open(dir.path()).unwrap());
        assert_eq!(page_size(dir.path()), PAGE_SIZE);
    }

    #[test]
    fn database_made_with_4_kib_pages_keeps_them_and_its_data() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(crate::DB_FILE)).unwrap();
            conn.pragma_update(None, "page_size", 4096).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            migrate_to(&conn, 1).unwrap();
            conn.execute(
                "INSERT INTO feeds(account, name) VALUES(?1, 'Ada')",
                [[7u8; 32].as_slice()],
            )
            .unwrap();
        }
        let store = crate::Store::open(dir.path()).unwrap();
        let name: String = store
            .conn
            .query_row("SELECT name FROM feeds", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "Ada");
        drop(store);
        assert_eq!(
            page_size(dir.path()),
            4096,
            "an existing database keeps its page size"
        );
    }
}
