//! Anything altered is rejected, and a rejected batch or bundle stores nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Device, file_digests, fingerprint, own_store};
use kith_core::Envelope;
use kith_store::Store;

fn seeded_store() -> (tempfile::TempDir, Store, Device) {
    let (home, mut store, mut dev) = own_store();
    let (env, id, body) = dev.post(1_000, "already here", None);
    store.ingest(vec![env]).unwrap();
    store.put_bodies(&[(id, body)]).unwrap();
    (home, store, dev)
}

#[test]
fn flipping_any_byte_of_an_envelope_is_rejected_and_stores_nothing() {
    let (_home, mut store, mut dev) = seeded_store();
    let (env, _, _) = dev.post(2_000, "a new post", None);
    let bytes = env.encode();
    let before = fingerprint(&store);
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut b = bytes.clone();
            b[i] ^= bit;
            let accepted = Envelope::decode(&b)
                .map_err(kith_store::StoreError::from)
                .and_then(|e| store.ingest(vec![e]));
            assert!(
                accepted.is_err(),
                "envelope with byte {i} xor {bit:#04x} was accepted"
            );
        }
    }
    assert_eq!(
        fingerprint(&store),
        before,
        "a rejected envelope changed the store"
    );
    // The untouched envelope still goes in: nothing above poisoned the store.
    store
        .ingest(vec![Envelope::decode(&bytes).unwrap()])
        .unwrap();
    assert_eq!(store.timeline(10, None).unwrap().posts.len(), 2);
}

#[test]
fn one_bad_envelope_rejects_its_whole_batch() {
    let (_home, mut store, mut dev) = seeded_store();
    let (good, _, _) = dev.post(2_000, "good", None);
    let (mut bad, _, _) = dev.post(3_000, "bad", None);
    bad.signature[5] ^= 1;
    let before = fingerprint(&store);
    let err = store.ingest(vec![good, bad]).unwrap_err();
    assert!(
        err.to_string().contains("record 1"),
        "the error names the bad record: {err}"
    );
    assert_eq!(fingerprint(&store), before);
}

#[test]
fn change_signed_by_an_uncertified_device_is_rejected() {
    let (_home, mut store, dev) = seeded_store();
    // A device with a certificate from a different account key claims this account.
    let (_, mut intruder) = Device::new_account();
    intruder.account = dev.account;
    intruder.doc = kith_core::feed::FeedDoc::new(dev.account);
    store.add_certificates(&[intruder.cert.clone()]).unwrap();
    let (env, _, _) = intruder.post(5_000, "forged", None);
    let before = fingerprint(&store);
    let err = store.ingest(vec![env]).unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    assert_eq!(fingerprint(&store), before);
}

#[test]
fn flipping_any_byte_of_a_bundle_is_rejected_and_leaves_every_file_as_it_was() {
    let (_src_home, mut src, mut dev) = seeded_store();
    for t in 2..5 {
        let (env, id, body) = dev.post(t * 1_000, &format!("post number {t}"), None);
        src.ingest(vec![env]).unwrap();
        src.put_bodies(&[(id, body)]).unwrap();
    }
    let mut bundle = Vec::new();
    src.export(&[dev.account], &mut bundle, &mut |_, _| {})
        .unwrap();

    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    store.checkpoint().unwrap();
    let before_files = file_digests(home.path());
    let before = fingerprint(&store);
    for i in 0..bundle.len() {
        let mut b = bundle.clone();
        b[i] ^= 0x04;
        assert!(
            store.import(&b, &mut |_, _| {}).is_err(),
            "bundle with byte {i} flipped was accepted"
        );
    }
    for cut in [0, 5, 9, bundle.len() / 2, bundle.len() - 1] {
        let err = store.import(&bundle[..cut], &mut |_, _| {}).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    let err = store
        .import(b"just some text, not a bundle", &mut |_, _| {})
        .unwrap_err();
    assert!(err.to_string().contains("not a Kith bundle"), "{err}");
    store.checkpoint().unwrap();
    assert_eq!(fingerprint(&store), before);
    assert_eq!(
        file_digests(home.path()),
        before_files,
        "a rejected import changed a store file"
    );
    // The intact bundle imports.
    let report = store.import(&bundle, &mut |_, _| {}).unwrap();
    assert_eq!(report.changes, 4);
    assert_eq!(report.bodies, 4);
}

/// A batch large enough for its document to apply on a second thread
/// while its rows (and its new posts' rows, with their bodies and search
/// words) are written, whose apply then fails: one device signed two
/// different changes with the same sequence number, which automerge
/// refuses. The rows already written roll back with the batch, and the
/// same changes without the forked one then store normally.
#[test]
fn a_large_batch_whose_document_refuses_it_stores_nothing_and_the_store_goes_on() {
    let (home, mut store, mut dev) = seeded_store();
    let (mut batch, mut bodies) = (Vec::new(), Vec::new());
    for i in 0..300 {
        let (env, id, body) = dev.post(2_000 + i, &format!("word{i} post"), None);
        batch.push(env);
        bodies.push((id, body));
    }
    let (next, next_id, next_body) = dev.post(9_000, "one version", None);
    batch.push(next);
    bodies.push((next_id, next_body));
    let mut fork = dev.clone();
    let (broken, broken_id, broken_body) = fork.post_with_broken_body(9_001);
    batch.push(broken);
    let mut with_broken = bodies.clone();
    with_broken.push((broken_id, broken_body));
    let before = fingerprint(&store);
    assert!(
        store
            .ingest_signed(&[], batch.clone(), &with_broken)
            .is_err(),
        "a body that does not decode refuses the batch"
    );
    assert_eq!(fingerprint(&store), before, "nothing of the batch is shown");
    assert!(
        store.search("post", 500, None).unwrap().posts.is_empty(),
        "nor indexed"
    );
    drop(store);
    let mut store = Store::open(home.path()).unwrap();
    assert_eq!(fingerprint(&store), before, "nor stored");

    batch.pop();
    let report = store.ingest_signed(&[], batch, &bodies).unwrap();
    assert_eq!(report.accepted, 301);
    assert_eq!(store.timeline(500, None).unwrap().posts.len(), 302);
    assert_eq!(store.search("post", 500, None).unwrap().posts.len(), 300);
    assert_eq!(store.search("word299", 500, None).unwrap().posts.len(), 1);
}

/// A bundle file that changes between the two readings of an import (a
/// blob's bytes altered after the file was checked, before they are
/// stored) is refused when the blob is read again, and the store keeps
/// nothing of it: no change, no post, no blob.
#[test]
fn a_blob_altered_between_the_two_readings_of_an_import_is_refused_and_nothing_is_kept() {
    /// A file that alters byte `at` once it has been read to its end.
    struct ChangesUnderfoot {
        file: std::io::Cursor<Vec<u8>>,
        at: usize,
    }
    impl std::io::Read for ChangesUnderfoot {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.file.read(buf)?;
            if n == 0 {
                self.file.get_mut()[self.at] ^= 0x01;
            }
            Ok(n)
        }
    }
    impl std::io::Seek for ChangesUnderfoot {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            self.file.seek(to)
        }
    }

    let (_src_home, mut src, mut dev) = seeded_store();
    let image = b"\x89PNG\r\n\x1a\n an image of sorts".to_vec();
    let hash = src.blobs().put(&image).unwrap();
    let (env, id, body) = dev.post_with(2_000, "a post with an image", None, vec![hash]);
    src.ingest(vec![env]).unwrap();
    src.put_bodies(&[(id, body)]).unwrap();
    let mut bundle = Vec::new();
    let exported = src
        .export(&[dev.account], &mut bundle, &mut |_, _| {})
        .unwrap();
    assert_eq!(exported.blobs, 1);
    let at = bundle
        .windows(image.len())
        .position(|w| w == image.as_slice())
        .expect("the image is in the bundle")
        + 12;

    let home = tempfile::tempdir().unwrap();
    let mut store = Store::open(home.path()).unwrap();
    let before = fingerprint(&store);
    let err = store
        .import_from(
            ChangesUnderfoot {
                file: std::io::Cursor::new(bundle.clone()),
                at,
            },
            &mut |_, _| {},
        )
        .unwrap_err();
    assert!(err.to_string().contains("changed while"), "{err}");
    assert_eq!(fingerprint(&store), before, "nothing of the bundle is kept");
    assert!(!store.blobs().has(&hash), "nor its blob");
    // The unaltered file imports, blob and all.
    let report = store.import(&bundle, &mut |_, _| {}).unwrap();
    assert_eq!((report.changes, report.blobs), (2, 1));
    assert!(store.blobs().has(&hash));
}
