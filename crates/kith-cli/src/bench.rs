//! `kith bench`: figures for ingest, queries and size, each beside the
//! limit it is measured against, in the same run.

use std::time::{Duration, Instant};

use anyhow::Context;
use ed25519_dalek::SigningKey;
use kith_core::feed::{FeedDoc, FeedKey, FeedValue, Write};
use kith_core::moderation::{Label, Target};
use kith_core::{AccountId, Body, DeviceCertificate, Envelope, PostId, PostRecord, keys};
use kith_store::Store;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::args::BenchKind;
use crate::output;

const WORDS: &[&str] = &[
    "kith",
    "réseau",
    "village",
    "café",
    "soleil",
    "garden",
    "music",
    "forêt",
    "école",
    "bicycle",
    "river",
    "montagne",
    "bread",
    "étoile",
    "library",
    "lumière",
    "harbour",
    "piano",
    "fenêtre",
    "winter",
    "été",
    "printemps",
    "coffee",
    "journal",
    "voyage",
    "market",
    "théâtre",
    "bridge",
    "château",
    "orange",
];

/// A vocabulary of `n` words: the common words above, then made-up ones,
/// drawn with a Zipf-like law (rank r has weight 1/r) as in real text.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new(n: usize) -> Self {
        const SYLLABLES: &[&str] = &[
            "ka", "lo", "mé", "ri", "tan", "vu", "sé", "bo", "nir", "cha", "pé", "dol",
        ];
        let mut words: Vec<String> = WORDS.iter().map(|w| (*w).to_owned()).collect();
        let mut i = 0usize;
        while words.len() < n {
            let mut w = String::new();
            let mut k = i;
            loop {
                w.push_str(SYLLABLES[k % SYLLABLES.len()]);
                k /= SYLLABLES.len();
                if k == 0 {
                    break;
                }
            }
            w.push_str(SYLLABLES[i % 7]);
            words.push(w);
            i += 1;
        }
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|r| {
                total += 1.0 / r as f64;
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn pick(&self, rng: &mut impl Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.r#gen::<f64>() * total;
        let i = self
            .cumulative
            .partition_point(|c| *c < x)
            .min(self.words.len() - 1);
        &self.words[i]
    }
}

/// Distinct words in generated posts.
const VOCABULARY: usize = 20_000;

/// One author with keys and a feed document, for generating signed changes.
struct Author {
    account: AccountId,
    device: SigningKey,
    cert: DeviceCertificate,
    doc: FeedDoc,
}

impl Author {
    fn new() -> Self {
        let a = keys::generate();
        let device = keys::generate();
        let cert = DeviceCertificate::issue(&a, keys::device_id(&device), 1_700_000_000_000);
        let account = keys::account_id(&a);
        Self {
            account,
            device,
            cert,
            doc: FeedDoc::new(account),
        }
    }

    fn post(
        &mut self,
        rng: &mut impl Rng,
        vocabulary: &Vocabulary,
        t: i64,
        reply_to: Option<PostId>,
        words: Option<usize>,
    ) -> anyhow::Result<(Envelope, PostId, Vec<u8>)> {
        // Drawn as an i32, as before `words` existed, so that the data
        // sets (and the figures measured on them) stay the same.
        let n = words.unwrap_or_else(|| usize::try_from(rng.gen_range(8_i32..40)).unwrap_or(8));
        let text: Vec<&str> = (0..n).map(|_| vocabulary.pick(rng)).collect();
        let body = Body::new(&text.join(" "), None)?;
        let mut local = [0u8; 8];
        rng.fill(&mut local);
        let record = PostRecord {
            created_at: t,
            body_hash: Some(body.hash()),
            reply_to,
            ..PostRecord::default()
        };
        let change = self.doc.write(
            keys::device_id(&self.device),
            t,
            &[Write::Put(
                FeedKey::Post(local),
                FeedValue::Bytes(record.encode()),
            )],
        )?;
        let env = Envelope::seal(
            self.account,
            &self.device,
            self.cert.reference(),
            change.raw_bytes().to_vec(),
        );
        Ok((
            env,
            PostId {
                author: self.account,
                local,
            },
            body.encode(),
        ))
    }

    /// Signs a change of this author's feed made of `writes`.
    fn sign(&mut self, writes: &[Write]) -> anyhow::Result<Envelope> {
        let change = self.doc.write(keys::device_id(&self.device), 1, writes)?;
        Ok(Envelope::seal(
            self.account,
            &self.device,
            self.cert.reference(),
            change.raw_bytes().to_vec(),
        ))
    }
}

/// Certificates, signed changes and post bodies.
type Generated = (
    Vec<DeviceCertificate>,
    Vec<Envelope>,
    Vec<(PostId, Vec<u8>)>,
);

/// Signed post changes from `authors` authors, `n` in all, interleaved in time.
pub(crate) fn generate(n: u64, authors: usize, seed: u64) -> anyhow::Result<Generated> {
    generate_posts(n, authors, seed, None)
}

/// [`generate`] with `words` words in every post (8 to 40 at random if `None`).
fn generate_posts(
    n: u64,
    authors: usize,
    seed: u64,
    words: Option<usize>,
) -> anyhow::Result<Generated> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let vocabulary = Vocabulary::new(VOCABULARY);
    let mut people: Vec<Author> = (0..authors).map(|_| Author::new()).collect();
    let mut envs = Vec::with_capacity(n as usize);
    let mut bodies = Vec::with_capacity(n as usize);
    let mut recent: Vec<PostId> = Vec::new();
    for i in 0..n {
        let who = (i as usize) % authors;
        let reply =
            (i % 5 == 0 && !recent.is_empty()).then(|| recent[rng.gen_range(0..recent.len())]);
        let (env, id, body) = people[who].post(
            &mut rng,
            &vocabulary,
            1_700_000_000_000 + i as i64 * 1000,
            reply,
            words,
        )?;
        if recent.len() < 1000 {
            recent.push(id);
        } else {
            let k = rng.gen_range(0..recent.len());
            recent[k] = id;
        }
        envs.push(env);
        bodies.push((id, body));
    }
    Ok((
        people.iter().map(|p| p.cert.clone()).collect(),
        envs,
        bodies,
    ))
}

pub(crate) fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Envelopes checked per second on `threads` threads, one at a time
/// (`batch` = 1) or in batches of `batch` as ingest does.
pub(crate) fn verify_rate(envs: &[Envelope], threads: usize, batch: usize) -> f64 {
    let start = Instant::now();
    let chunk = envs.len().div_ceil(threads);
    std::thread::scope(|s| {
        for part in envs.chunks(chunk) {
            s.spawn(move || {
                // Each device's key decoded once, as ingest does.
                let mut keys = kith_core::envelope::DeviceKeys::default();
                if batch == 1 {
                    part.iter()
                        .filter(|e| keys.verify_signature(e).is_ok())
                        .count()
                } else {
                    part.chunks(batch)
                        .flat_map(|b| keys.verify_signatures(b))
                        .flatten()
                        .count()
                }
            });
        }
    });
    rate(envs.len(), start.elapsed())
}

pub(crate) fn bare_insert_rate(envs: &[Envelope], batch: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let conn = rusqlite::Connection::open(dir.path().join("bare.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch("CREATE TABLE t(hash BLOB PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID")?;
    let start = Instant::now();
    for part in envs.chunks(batch) {
        let tx = conn.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached("INSERT INTO t(hash, bytes) VALUES(?1, ?2)")?;
            for e in part {
                let bytes = e.encode();
                stmt.execute(rusqlite::params![
                    blake3::hash(&bytes).as_bytes().as_slice(),
                    bytes
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(rate(envs.len(), start.elapsed()))
}

pub(crate) fn ingest_all(
    store: &mut Store,
    certs: &[DeviceCertificate],
    envs: Vec<Envelope>,
    bodies: &[(PostId, Vec<u8>)],
    batch: usize,
) -> anyhow::Result<Duration> {
    store.add_certificates(certs)?;
    let mut batches: Vec<Vec<Envelope>> = Vec::new();
    let mut it = envs.into_iter().peekable();
    while it.peek().is_some() {
        batches.push(it.by_ref().take(batch).collect());
    }
    let start = Instant::now();
    store.ingest_stream(batches)?;
    for part in bodies.chunks(batch) {
        store.put_bodies(part)?;
    }
    Ok(start.elapsed())
}

/// Changes a peer is behind in `catchup` and `catchup-net`.
const BEHIND: usize = 10;

/// What `--n` counts for a benchmark: its default, its smallest value
/// (the benchmark cannot run on less), and what it counts, for people.
fn sizes(which: BenchKind) -> (u64, u64, &'static str) {
    match which {
        BenchKind::Ingest => (100_000, 1, "signed changes"),
        // Full timeline pages of 50.
        BenchKind::Query => (1_000_000, 50, "posts"),
        BenchKind::Size => (20_000, 1, "posts"),
        BenchKind::Catchup | BenchKind::CatchupNet => (
            100_000,
            BEHIND as u64 + 1,
            "changes in the feed, the newest 10 missing from the peer",
        ),
        BenchKind::Sync => (100_000, 1, "posts in the feed"),
        // More than the newest changes a receiver takes first (256 KiB,
        // some 420 generated posts), so that the rest comes from the
        // sender's snapshot, which is what is measured.
        BenchKind::SyncStore => (100_000, 500, "changes in the feed"),
        BenchKind::Propagation => (30, 1, "follower processes"),
        BenchKind::Memory => (1000, 1, "feeds of 1,000 posts"),
        // Timeline pages of 50 still full with every tenth author hidden
        // by the list (one post per author below 2,000 posts): 56 - 6.
        BenchKind::Moderation => (100_000, 56, "posts"),
        BenchKind::Fixture => (10_000, 1, "posts"),
    }
}

/// `--n` for `which`: its default when not given; refused (with what it
/// counts) below the smallest the benchmark can measure.
fn size_of(which: BenchKind, n: Option<u64>) -> anyhow::Result<u64> {
    let (default, least, what) = sizes(which);
    let n = n.unwrap_or(default);
    if n < least {
        let name = clap::ValueEnum::to_possible_value(&which)
            .map_or_else(|| format!("{which:?}"), |v| v.get_name().to_owned());
        anyhow::bail!("`kith bench {name}` needs --n {least} or more ({what}), not {n}");
    }
    Ok(n)
}

/// Runs one benchmark and prints its figures.
pub fn run(
    which: BenchKind,
    n: Option<u64>,
    out: Option<&std::path::Path>,
    (words, after_snapshot): (Option<usize>, usize),
    json_out: bool,
) -> anyhow::Result<()> {
    let n = size_of(which, n)?;
    let report = match which {
        BenchKind::Ingest => ingest(n)?,
        BenchKind::Query => query(n)?,
        BenchKind::Size => size(n)?,
        BenchKind::Catchup => catchup(n)?,
        BenchKind::Sync => {
            if after_snapshot as u64 > n {
                anyhow::bail!(
                    "--after-snapshot {after_snapshot} is more than the feed's {n} posts (--n)"
                );
            }
            crate::bench_net::initial_sync(n, after_snapshot)?
        }
        BenchKind::SyncStore => sync_store(n)?,
        BenchKind::CatchupNet => crate::bench_net::catchup(n, BEHIND)?,
        BenchKind::Propagation => crate::bench_net::propagation(usize::try_from(n)?, 20)?,
        BenchKind::Memory => crate::bench_net::memory(n, 1000)?,
        BenchKind::Moderation => moderation(n)?,
        BenchKind::Fixture => fixture(
            n,
            out.ok_or_else(|| anyhow::anyhow!("fixture needs --out FILE"))?,
            words,
        )?,
    };
    if json_out {
        output::json(&report)
    } else {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
        Ok(())
    }
}

/// Writes a bundle of `n` signed posts by `n / 500` authors to `out` and
/// names the authors, so a home can import and follow them.
fn fixture(
    n: u64,
    out: &std::path::Path,
    words: Option<usize>,
) -> anyhow::Result<serde_json::Value> {
    let authors = (n / 500).clamp(1, 2000) as usize;
    let (certs, envs, bodies) = generate_posts(n, authors, 7, words)?;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let accounts: Vec<AccountId> = certs.iter().map(|c| c.account).collect();
    ingest_all(&mut store, &certs, envs, &bodies, 2000)?;
    let file = std::fs::File::create(out).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    let report = store.export(&accounts, std::io::BufWriter::new(file), &mut |_, _| {})?;
    Ok(json!({
        "bundle": out,
        "posts": n,
        "changes": report.changes,
        "authors": accounts,
    }))
}

fn ingest(n: u64) -> anyhow::Result<serde_json::Value> {
    const BATCH: usize = 2000;
    let authors = (n / 1000).clamp(1, 2000) as usize;
    eprintln!("generating {n} signed changes from {authors} authors…");
    let (certs, envs, _) = generate(n, authors, 1)?;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let verify_1 = verify_rate(&envs, 1, 1);
    let verify_all = verify_rate(&envs, threads, 1);
    let batch_1 = verify_rate(&envs, 1, BATCH);
    let batch_all = verify_rate(&envs, threads, BATCH);
    let bare = bare_insert_rate(&envs, BATCH)?;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let elapsed = ingest_all(&mut store, &certs, envs, &[], BATCH)?;
    let ingest = rate(n as usize, elapsed);
    let limit = batch_all.max(verify_all).min(bare);
    Ok(json!({
        "benchmark": "ingest",
        "changes": n,
        "authors": authors,
        "batch": BATCH,
        "ingest_changes_per_s": ingest.round(),
        "raw_verify_per_s_1_thread": verify_1.round(),
        "raw_verify_per_s_all_threads": verify_all.round(),
        "raw_batch_verify_per_s_1_thread": batch_1.round(),
        "raw_batch_verify_per_s_all_threads": batch_all.round(),
        "threads": threads,
        "bare_sqlite_insert_per_s": bare.round(),
        "ratio_to_smaller_limit": (ingest / limit * 100.0).round() / 100.0,
        "target_ratio": 0.5,
    }))
}

/// A home following `authors` authors who wrote `n` posts: the store, the
/// reader and the authors' certificates.
fn followed_home(
    dir: &std::path::Path,
    n: u64,
    authors: usize,
    seed: u64,
) -> anyhow::Result<(Store, Author, Vec<DeviceCertificate>, Duration)> {
    let mut store = Store::open(dir)?;
    let mut me = Author::new();
    store.add_certificates(std::slice::from_ref(&me.cert))?;
    store.set_own_account(me.account)?;
    eprintln!("generating {n} posts from {authors} authors…");
    let (certs, envs, bodies) = generate(n, authors, seed)?;
    let follows: Vec<Write> = certs
        .iter()
        .map(|c| Write::Put(FeedKey::Follow(c.account), FeedValue::Timestamp(1)))
        .collect();
    let mut follow_envs = Vec::new();
    for chunk in follows.chunks(500) {
        follow_envs.push(me.sign(chunk)?);
    }
    store.ingest(follow_envs)?;
    // Arrive grouped by feed, as bundles and per-feed sync deliver them.
    let mut envs = envs;
    envs.sort_by_key(|e| e.account);
    eprintln!("ingesting…");
    let ingest_time = ingest_all(&mut store, &certs, envs, &bodies, 5000)?;
    store.checkpoint()?;
    Ok((store, me, certs, ingest_time))
}

/// p50 and p99 of `runs` first timeline pages of 50.
fn first_pages(store: &Store, runs: usize) -> anyhow::Result<serde_json::Value> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let page = store.timeline(50, None)?;
        times.push(t.elapsed());
        anyhow::ensure!(
            page.posts.len() == 50,
            "a page of {} posts",
            page.posts.len()
        );
    }
    times.sort();
    Ok(json!({ "p50": percentile(&times, 0.5), "p99": percentile(&times, 0.99) }))
}

/// p50 and p99 of the bare SQL of a first timeline page (rows only).
fn bare_page_ms(dir: &std::path::Path, runs: usize) -> anyhow::Result<serde_json::Value> {
    let conn = rusqlite::Connection::open(dir.join(kith_store::DB_FILE))?;
    let mut stmt = conn.prepare(
            "SELECT p.id, f.account, f.name, p.local, p.created_at, p.edited_at, p.reply_to, p.quote_of, p.body, p.attachments, p.deleted, f.avatar
             FROM posts p JOIN feeds f ON f.id = p.feed_id WHERE p.home = 1 AND p.deleted = 0
             ORDER BY p.created_at DESC, p.id DESC LIMIT 50",
        )?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let rows: Vec<Vec<u8>> = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(1))?
            .collect::<rusqlite::Result<_>>()?;
        times.push(t.elapsed());
        anyhow::ensure!(rows.len() == 50);
    }
    times.sort();
    Ok(json!({ "p50": percentile(&times, 0.5), "p99": percentile(&times, 0.99) }))
}

/// Subscribes `store` to a maintainer's list of 10k entries: 10% of the
/// authors as spam (hidden), 5% as sexual (covered), the rest entries for
/// posts the store does not hold (misleading, hidden).
fn bench_list(store: &mut Store, certs: &[DeviceCertificate]) -> anyhow::Result<()> {
    let mut maintainer = Author::new();
    store.add_certificates(std::slice::from_ref(&maintainer.cert))?;
    let list = kith_core::ListId {
        owner: maintainer.account,
        local: [1; 8],
    };
    let mut entries = vec![Write::Put(
        FeedKey::List(list.local),
        FeedValue::Str("bench".into()),
    )];
    let entry = |label: kith_core::moderation::Label| {
        FeedValue::Bytes(
            kith_core::moderation::ListEntry {
                labels: kith_core::moderation::Labels::of([label]),
                created_at: 1,
                reason: "bench".into(),
            }
            .encode(),
        )
    };
    for (i, c) in certs.iter().enumerate() {
        if i % 10 == 0 {
            entries.push(Write::Put(
                FeedKey::ListEntry(list.local, Target::Account(c.account)),
                entry(Label::Spam),
            ));
        } else if i % 20 == 1 {
            entries.push(Write::Put(
                FeedKey::ListEntry(list.local, Target::Account(c.account)),
                entry(Label::Sexual),
            ));
        }
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    while entries.len() < 10_001 {
        let mut local = [0u8; 8];
        rng.fill(&mut local);
        let post = PostId {
            author: certs[rng.gen_range(0..certs.len())].account,
            local,
        };
        entries.push(Write::Put(
            FeedKey::ListEntry(list.local, Target::Post(post)),
            entry(Label::Misleading),
        ));
    }
    let mut list_envs = Vec::new();
    for chunk in entries.chunks(400) {
        list_envs.push(maintainer.sign(chunk)?);
    }
    store.ingest(list_envs)?;
    store.subscribe_list(
        list,
        kith_core::moderation::Labels::of([Label::Spam, Label::Misleading]),
        kith_core::moderation::Labels::of([Label::Sexual]),
        3,
    )?;
    Ok(())
}

/// What moderation costs: timeline pages with no moderation, with muted
/// words, and with a subscribed 10k-entry list hiding 10% of the authors
/// and covering 5%; the bare SQL of a page beside them; and the time to
/// purge a blocked feed.
fn moderation(n: u64) -> anyhow::Result<serde_json::Value> {
    const AUTHORS: usize = 2000;
    const RUNS: usize = 2000;
    let dir = tempfile::tempdir()?;
    let (mut store, mut me, certs, _) = followed_home(dir.path(), n, AUTHORS, 4)?;
    let plain = first_pages(&store, RUNS)?;
    let bare = bare_page_ms(dir.path(), RUNS)?;
    let words: Vec<Write> = [
        "alpha", "#beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    ]
    .iter()
    .map(|w| Write::Put(FeedKey::MutedWord((*w).into()), FeedValue::Timestamp(2)))
    .collect();
    let words_env = me.sign(&words)?;
    store.ingest(vec![words_env])?;
    let muted_words = first_pages(&store, RUNS)?;

    bench_list(&mut store, &certs)?;
    let with_list = first_pages(&store, RUNS)?;

    // Purging a blocked author (n / 2000 posts), then a 10k-post feed.
    let victim = certs[3].account;
    let t = Instant::now();
    store.set_private_block(victim, true, 4)?;
    let purge_small = t.elapsed();
    // A prolific author: 10k posts in the same home.
    let (big_certs, big_envs, big_bodies) = generate(10_000, 1, 6)?;
    let follow = me.sign(&[Write::Put(
        FeedKey::Follow(big_certs[0].account),
        FeedValue::Timestamp(5),
    )])?;
    store.ingest(vec![follow])?;
    ingest_all(&mut store, &big_certs, big_envs, &big_bodies, 5000)?;
    let t = Instant::now();
    store.set_private_block(big_certs[0].account, true, 6)?;
    let purge_big = t.elapsed();
    anyhow::ensure!(
        store
            .feed_posts(big_certs[0].account, 10, None)?
            .posts
            .is_empty(),
        "the purge left posts"
    );
    let ms = |d: Duration| (d.as_secs_f64() * 10_000.0).round() / 10.0;
    Ok(json!({
        "benchmark": "moderation",
        "posts": n,
        "authors": AUTHORS,
        "timeline_first_page_ms": {
            "no_moderation": plain,
            "ten_muted_words": muted_words,
            "ten_muted_words_and_a_10k_entry_list": with_list,
            "bare_page_sql": bare,
        },
        "purge_ms": {
            "blocked_feed_of_posts": n / AUTHORS as u64,
            "that_feed": ms(purge_small),
            "a_10k_post_feed_in_the_same_home": ms(purge_big),
        },
        "target_timeline_p99_ms": 2.0,
    }))
}

fn query(n: u64) -> anyhow::Result<serde_json::Value> {
    const AUTHORS: usize = 2000;
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    // The reader follows every author, so every post is in the home timeline.
    let mut me = Author::new();
    store.add_certificates(std::slice::from_ref(&me.cert))?;
    store.set_own_account(me.account)?;
    eprintln!("generating {n} posts from {AUTHORS} authors…");
    let (certs, envs, bodies) = generate(n, AUTHORS, 2)?;
    let follows: Vec<Write> = certs
        .iter()
        .map(|c| Write::Put(FeedKey::Follow(c.account), FeedValue::Timestamp(1)))
        .collect();
    let mut follow_envs = Vec::new();
    for chunk in follows.chunks(500) {
        let change = me.doc.write(keys::device_id(&me.device), 1, chunk)?;
        follow_envs.push(Envelope::seal(
            me.account,
            &me.device,
            me.cert.reference(),
            change.raw_bytes().to_vec(),
        ));
    }
    store.ingest(follow_envs)?;
    // Arrive grouped by feed, as bundles and per-feed sync deliver them.
    let mut envs = envs;
    envs.sort_by_key(|e| e.account);
    eprintln!("ingesting…");
    let ingest_time = ingest_all(&mut store, &certs, envs, &bodies, 5000)?;
    store.checkpoint()?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let vocabulary = Vocabulary::new(VOCABULARY);
    let mut first = Vec::new();
    let mut deep = Vec::new();
    let mut cursors = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let page = store.timeline(50, cursor.as_deref())?;
        cursor.clone_from(&page.next);
        if let Some(c) = &cursor {
            cursors.push(c.clone());
        }
    }
    for i in 0..2000 {
        let t = Instant::now();
        let page = store.timeline(50, None)?;
        first.push(t.elapsed());
        anyhow::ensure!(
            page.posts.len() == 50,
            "timeline page has {} posts",
            page.posts.len()
        );
        let c = &cursors[i % cursors.len()];
        let t = Instant::now();
        store.timeline(50, Some(c))?;
        deep.push(t.elapsed());
    }
    let (fts, begun) = search_times(&store, &vocabulary, &mut rng)?;
    let (activity, unread, activity_items) = activity_queries(&mut store, certs[0].account)?;
    first.sort();
    deep.sort();
    let db = std::fs::metadata(dir.path().join(kith_store::DB_FILE)).map_or(0, |m| m.len());
    Ok(json!({
        "benchmark": "query",
        "posts": n,
        "authors": AUTHORS,
        "ingest_seconds": (ingest_time.as_secs_f64() * 10.0).round() / 10.0,
        "timeline_first_page_ms": { "p50": percentile(&first, 0.5), "p99": percentile(&first, 0.99) },
        "timeline_deep_page_ms": { "p50": percentile(&deep, 0.5), "p99": percentile(&deep, 0.99) },
        "fts_query_ms": { "p50": percentile(&fts, 0.5), "p99": percentile(&fts, 0.99) },
        "fts_last_word_begun_ms": { "p50": percentile(&begun, 0.5), "p99": percentile(&begun, 0.99) },
        "activity_first_page_ms": { "p50": percentile(&activity, 0.5), "p99": percentile(&activity, 0.99) },
        "activity_page_items": activity_items,
        "activity_unread_ms": { "p50": percentile(&unread, 0.5), "p99": percentile(&unread, 0.99) },
        "target_timeline_p99_ms": 2.0,
        "target_fts_p99_ms": 5.0,
        "database_bytes": db,
    }))
}

/// 2,000 searches of one or two words drawn like the text (mostly common
/// words, some rare), then 2,000 as typed: the last word cut to three
/// letters or more (a cut no post has whole finds the words it begins,
/// from four letters). Both sorted.
fn search_times(
    store: &Store,
    vocabulary: &Vocabulary,
    rng: &mut impl Rng,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let mut fts = Vec::new();
    for _ in 0..2000 {
        // One or two words drawn like the text: mostly common words, some rare.
        let q = if rng.gen_bool(0.5) {
            vocabulary.pick(rng).to_owned()
        } else {
            format!("{} {}", vocabulary.pick(rng), vocabulary.pick(rng))
        };
        let t = Instant::now();
        store.search(&q, 20, None)?;
        fts.push(t.elapsed());
    }
    // As typed: the last word cut to 3 letters or more.
    let mut begun = Vec::new();
    for _ in 0..2000 {
        let word: Vec<char> = vocabulary.pick(rng).chars().collect();
        let cut: String = word[..rng.gen_range(word.len().min(3)..=word.len())]
            .iter()
            .collect();
        let q = if rng.gen_bool(0.5) {
            cut
        } else {
            format!("{} {cut}", vocabulary.pick(rng))
        };
        let t = Instant::now();
        store.search(&q, 20, None)?;
        begun.push(t.elapsed());
    }
    fts.sort();
    begun.sort();
    Ok((fts, begun))
}

/// 2,000 first activity pages of 30 and unread counts as `account` (one of
/// the generated authors) sees them: the replies its posts got (one post
/// in five replies to a recent one), found among every post. Returns both
/// timings sorted, and the items on the page.
fn activity_queries(
    store: &mut Store,
    account: kith_core::AccountId,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>, usize)> {
    store.set_own_account(account)?;
    let mut page = Vec::new();
    let mut unread = Vec::new();
    let mut items = 0;
    for _ in 0..2000 {
        let t = Instant::now();
        items = store.activity(30, None)?.items.len();
        page.push(t.elapsed());
        let t = Instant::now();
        store.activity_unread()?;
        unread.push(t.elapsed());
    }
    page.sort();
    unread.sort();
    Ok((page, unread, items))
}

fn size(n: u64) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path())?;
    let (certs, envs, bodies) = generate(n, 1, 4)?;
    let raw_text: usize = bodies
        .iter()
        .map(|(_, b)| Body::decode(b).map_or(0, |b| b.text.len()))
        .sum();
    let raw = raw_text + 64 * bodies.len();
    ingest_all(&mut store, &certs, envs, &bodies, 1000)?;
    store.checkpoint()?;
    drop(store);
    let on_disk = dir_size(dir.path());
    let per_post = on_disk as f64 / n as f64;
    let raw_per_post = raw as f64 / n as f64;
    let conn =
        rusqlite::Connection::open(dir.path().join(kith_store::DB_FILE)).context("reopening")?;
    conn.execute_batch("VACUUM")?;
    drop(conn);
    let vacuumed = dir_size(dir.path()) as f64 / n as f64;
    Ok(json!({
        "benchmark": "size",
        "posts": n,
        "bytes_on_disk_per_post": per_post.round(),
        "bytes_per_post_after_vacuum": vacuumed.round(),
        "raw_text_plus_signature_per_post": raw_per_post.round(),
        "ratio": (per_post / raw_per_post * 100.0).round() / 100.0,
        "target_ratio": 3.0,
    }))
}

/// Initial sync of an `n`-change feed between two stores in one process
/// (no network): the ceiling of `kith bench sync`.
fn sync_store(n: u64) -> anyhow::Result<serde_json::Value> {
    let (certs, envs, bodies) = generate(n, 1, 11)?;
    let account = certs[0].account;
    let (a_dir, b_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let mut a = Store::open(a_dir.path())?;
    let mut b = Store::open(b_dir.path())?;
    ingest_all(&mut a, &certs, envs, &bodies, 5000)?;
    drop(a);
    let mut a = Store::open(a_dir.path())?;
    let start = Instant::now();
    let recent = a.recent_changes(account, 256 * 1024)?;
    let recent_s = start.elapsed().as_secs_f64();
    b.ingest_signed(
        &recent.changes.certificates,
        recent.changes.envelopes.clone(),
        &recent.bodies,
    )?;
    let shown_s = start.elapsed().as_secs_f64();
    // Seeded from the sender's snapshot, as a node that holds nothing of
    // the feed is over the network: its changes rebuilt from the seed,
    // and only their seals and the posts' bodies asked for.
    let t = Instant::now();
    let seed = a
        .seed_snapshot(account)?
        .context("the sender offers no snapshot to seed from")?;
    let mut seed = kith_store::Seed::load(account, seed)?;
    let seed_load = t.elapsed();
    let t = Instant::now();
    let mut rebuilt = seed.rebuild();
    let rebuild_time = t.elapsed();
    anyhow::ensure!(b.plant_seed(seed)?, "the receiver did not take the seed");
    let (mut sender, mut verify, mut receiver) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut pages, mut changes) = (0, 0);
    let mut next = rebuilt.next_request(kith_store::MAX_SEALS);
    while let Some(asked) = next {
        pages += 1;
        let t = Instant::now();
        let mut answer = a.seals(account, &asked.hashes, &asked.posts, 4 << 20)?;
        let mut left = kith_store::posts_not_reached(&asked.posts, &answer.bodies);
        while answer.more_bodies && !left.is_empty() {
            let more = a.seals(account, &[], &left, 4 << 20)?;
            left = kith_store::posts_not_reached(&left, &more.bodies);
            answer.more_bodies = more.more_bodies && !more.bodies.is_empty();
            answer.bodies.extend(more.bodies);
        }
        sender += t.elapsed();
        let t = Instant::now();
        next = rebuilt.next_request(kith_store::MAX_SEALS);
        let sealed = rebuilt.envelopes(&answer.certificates, answer.seals)?;
        changes += sealed.len();
        let verified = kith_store::verify_sealed(sealed, false);
        verify += t.elapsed();
        let t = Instant::now();
        b.ingest_verified_page(
            &answer.certificates,
            verified,
            &answer.bodies,
            next.is_some(),
        )?;
        receiver += t.elapsed();
    }
    Ok(json!({
        "benchmark": "sync-store",
        "newest_built_s": recent_s,
        "newest_stored_s": shown_s,
        "changes": changes,
        "pages": pages,
        "seconds": start.elapsed().as_secs_f64(),
        "seed_load_s": seed_load.as_secs_f64(),
        "rebuild_s": rebuild_time.as_secs_f64(),
        "sender_s": sender.as_secs_f64(),
        "verify_s": verify.as_secs_f64(),
        "receiver_s": receiver.as_secs_f64(),
    }))
}

fn catchup(n: u64) -> anyhow::Result<serde_json::Value> {
    let (certs, envs, bodies) = generate(n, 1, 5)?;
    let account = certs[0].account;
    let (a_dir, b_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let mut a = Store::open(a_dir.path())?;
    let mut b = Store::open(b_dir.path())?;
    let cut = envs.len() - BEHIND;
    ingest_all(&mut b, &certs, envs[..cut].to_vec(), &bodies[..cut], 5000)?;
    ingest_all(&mut a, &certs, envs, &bodies, 5000)?;
    // Round trip 1: B sends its heads; A answers with what B lacks.
    let mut times = Vec::new();
    let mut bytes = 0;
    let mut sent = 0;
    for _ in 0..50 {
        let t = Instant::now();
        let have = b.feed_heads(account)?.unwrap_or_default();
        let missing = a.signed_changes(account, &have)?;
        let bodies = a.bodies_for(&missing.envelopes)?;
        times.push(t.elapsed());
        sent = missing.envelopes.len();
        bytes = have.len() * 32
            + missing
                .envelopes
                .iter()
                .map(|e| e.encode().len())
                .sum::<usize>()
            + bodies
                .iter()
                .map(|(_, body)| 40 + body.len())
                .sum::<usize>();
    }
    times.sort();
    let have = b.feed_heads(account)?.unwrap_or_default();
    let missing = a.signed_changes(account, &have)?;
    let bodies = a.bodies_for(&missing.envelopes)?;
    let t = Instant::now();
    b.ingest(missing.envelopes)?;
    b.put_bodies(&bodies)?;
    let apply = t.elapsed();
    anyhow::ensure!(
        b.feed_heads(account)? == a.feed_heads(account)?,
        "the peers did not converge"
    );
    Ok(json!({
        "benchmark": "catchup",
        "feed_changes": n,
        "behind": BEHIND,
        "round_trips": 1,
        "changes_sent": sent,
        "bytes_exchanged": bytes,
        "answer_ms": { "p50": percentile(&times, 0.5), "p99": percentile(&times, 0.99) },
        "apply_on_receiver_ms": apply.as_secs_f64() * 1000.0,
        "target_round_trips": 2,
        "target_bytes": 10_000,
    }))
}
