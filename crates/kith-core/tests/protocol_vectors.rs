//! Checks the test vectors printed in `docs/protocol.md`.
//!
//! Every value is built from fixed seeds, compared with a hex (or text)
//! literal here, and that literal must also appear verbatim in the protocol
//! document, so the document cannot drift from the code.

use automerge::Change;
use ed25519_dalek::SigningKey;
use kith_core::bundle::{self, BundleWriter, RecordKind};
use kith_core::feed::{FeedDoc, FeedKey, FeedValue, Write, validate_change};
use kith_core::ids::POST_LOCAL_LEN;
use kith_core::{AccountId, Body, DeviceCertificate, DeviceId, Envelope, PostId, PostRecord, keys};

/// The protocol document, read at compile time so edits to it rebuild this test.
const PROTOCOL_MD: &str = include_str!("../../../docs/protocol.md");

const ACCOUNT_SEED: [u8; 32] = [0x01; 32];
const DEVICE_SEED: [u8; 32] = [0x02; 32];
const ISSUED_AT: i64 = 1_700_000_000_000;
const NAME_WRITTEN_AT: i64 = 1_700_000_000_000;
const POST_WRITTEN_AT: i64 = 1_700_000_001_000;
const EDITED_AT: i64 = 1_700_000_002_000;
const POST_LOCAL: [u8; POST_LOCAL_LEN] = [0, 1, 2, 3, 4, 5, 6, 7];

// Keys and ids.
const ACCOUNT_PUBLIC: &str = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const DEVICE_PUBLIC: &str = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";
const ACCOUNT_TEXT: &str = "kith132yw8ht5p8cetl2jmvknewjawt9xwzdlrk2pyxlnwjyqrdq0dawqnakrh6";
const DEVICE_TEXT: &str = "kithdev1syuhwr4g05t4744r23nvxnr7en9cmz53knhr0gja7c84hr7fkw2q7agced";
const PHRASE: &str = "absurd amount doctor acoustic avoid letter advice cage \
    absurd amount doctor acoustic avoid letter advice cage \
    absurd amount doctor acoustic avoid letter advice comic";

// Device certificate.
const CERT_DIGEST: &str = "ca3cf2ebfbe95279c5c21945914af880b4364939937e1eeeaa6b16e5f9503093";
const CERT_SIGNATURE: &str = "1f79860c420acf1b87893dd8e49d34373ca73a3018b9e2e2a426df15b49dc10e\
    bd1fdcca321fa13530bf799a5fababcbbee717a0ddda134e9a0542541a6bb801";
const CERT_ENCODING: &str = "018a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c\
    8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394\
    0000018bcfe56800\
    1f79860c420acf1b87893dd8e49d34373ca73a3018b9e2e2a426df15b49dc10e\
    bd1fdcca321fa13530bf799a5fababcbbee717a0ddda134e9a0542541a6bb801";
const CERT_REFERENCE: &str = "50da0c2f23f12f2594de71e37f12690213c4bd64ff96821c865d1da448d529a0";

// The change that sets `name` to "Ada", and its envelope.
const NAME_CHANGE: &str = "\
    856f4a83d04b8f54014800208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394\
    010180e2cfaa060000061506340142025602570370027f046e616d65017f017f364164617f00";
const NAME_CHANGE_HASH: &str = "d04b8f54722b73855fd0bdf070c148f31df6d7df868e52c21e64d5a1dc62f2d1";
const ENVELOPE_DIGEST: &str = "bf36dd22052c9ebc0fa4ffac4f4d227ff649aa313b5e30e71257c01a83222b31";
const ENVELOPE_SIGNATURE: &str = "9601f87e1b1737c257f0120efe294b00ed6a5e36e359543cafc75a5d35efdbe8\
    74c5e44d4ddcc1e6ea67528695839fd83296b93283caf0f15815d30fd6e57309";

const ENVELOPE_ENCODING: &str = "\
    018a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c8139770ea87d175f56a354\
    66c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39450da0c2f23f12f2594de71e37f12690213c4bd64ff9682\
    1c865d1da448d529a000000052856f4a83d04b8f54014800208139770ea87d175f56a35466c34c7ecccb8d8a\
    91b4ee37a25df60f5b8fc9b394010180e2cfaa060000061506340142025602570370027f046e616d65017f01\
    7f364164617f009601f87e1b1737c257f0120efe294b00ed6a5e36e359543cafc75a5d35efdbe874c5e44d4d\
    dcc1e6ea67528695839fd83296b93283caf0f15815d30fd6e57309";

// Body and post records.
const BODY_ENCODING: &str = "0103030303030303030303030303030303000048656c6c6f2c204b697468";
const BODY_HASH: &str = "2facc3cef5f4fa5bda68e43ccc831cdb00ff6c9f0b53f33a498c99bd818e2407";
const DESCRIBED_BODY_ENCODING: &str =
    "0203030303030303030303030303030303000001000d546865204b697468206c6f676f48656c6c6f2c204b697468";
const DESCRIBED_BODY_HASH: &str =
    "a3738ac6ef414730572d486d04d9036f79ece9a8ffecbec8d61b08199c7173ce";
const POST_ID_TEXT: &str =
    "kithpost132yw8ht5p8cetl2jmvknewjawt9xwzdlrk2pyxlnwjyqrdq0dawqqqgzqvzq2ps87k0x5w";
const POST_ID_HEX: &str = "\
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c\
    0001020304050607";
const POST_RECORD: &str = "\
    01010000018bcfe56be8\
    2facc3cef5f4fa5bda68e43ccc831cdb00ff6c9f0b53f33a498c99bd818e2407\
    00";
const FULL_POST_RECORD: &str = "\
    010f0000018bcfe56be80000018bcfe56fd0\
    2facc3cef5f4fa5bda68e43ccc831cdb00ff6c9f0b53f33a498c99bd818e2407\
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0505050505050505\
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0606060606060606\
    010404040404040404040404040404040404040404040404040404040404040404";

// The bundle carrying all of the above.
const POST_CHANGE_HASH: &str = "5a9ff751faaa0650f0ff5ec2aa4bb16cc8e621e08d273f87b7ae3686f4de0e2c";
const BUNDLE_CHECKSUM: &str = "bc11468162c0a128708783df33e55d5ab14a8eca7ed7ae46f1796344b8756585";
const BUNDLE: &str = "\
    4b495448424e444c010100000089018a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b4\
    0f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3940000018bcfe568001f\
    79860c420acf1b87893dd8e49d34373ca73a3018b9e2e2a426df15b49dc10ebd1fdcca321fa13530bf799a5f\
    ababcbbee717a0ddda134e9a0542541a6bb80102000000f7018a88e3dd7409f195fd52db2d3cba5d72ca6709\
    bf1d94121bf3748801b40f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3\
    9450da0c2f23f12f2594de71e37f12690213c4bd64ff96821c865d1da448d529a000000052856f4a83d04b8f\
    54014800208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394010180e2cfaa06\
    0000061506340142025602570370027f046e616d65017f017f364164617f009601f87e1b1737c257f0120efe\
    294b00ed6a5e36e359543cafc75a5d35efdbe874c5e44d4ddcc1e6ea67528695839fd83296b93283caf0f158\
    15d30fd6e57309020000014f018a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f\
    5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b39450da0c2f23f12f2594de71\
    e37f12690213c4bd64ff96821c865d1da448d529a0000000aa856f4a835a9ff751019f0101d04b8f54722b73\
    855fd0bdf070c148f31df6d7df868e52c21e64d5a1dc62f2d1208139770ea87d175f56a35466c34c7ecccb8d\
    8a91b4ee37a25df60f5b8fc9b394020281e2cfaa060000061514340142025603572b70027f12702f30303031\
    303230333034303530363037017f017fb70501010000018bcfe56be82facc3cef5f4fa5bda68e43ccc831cdb\
    00ff6c9f0b53f33a498c99bd818e2407007f0030c867a4146696c44267ee9518382f40e5996d88300d28237a\
    4f890856b0f841942ac83bda78cc9f15cda5cd11d6207e190f743f2ba5ebf63cd6c5f26cf61f0e0300000046\
    8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c000102030405060701030303\
    03030303030303030303030303000048656c6c6f2c204b697468ff00000020bc11468162c0a128708783df33\
    e55d5ab14a8eca7ed7ae46f1796344b8756585";

/// Asserts that the code produces `expected` and that the protocol document
/// shows it. `expected` may be split over several source lines with `\`.
fn assert_documented(what: &str, actual: &str, expected: &str) {
    let expected: String = expected.split_whitespace().collect();
    assert_eq!(
        actual, expected,
        "{what}: the code no longer produces the documented vector"
    );
    assert!(
        PROTOCOL_MD.contains(&expected),
        "{what}: docs/protocol.md does not show {expected}"
    );
}

/// Like [`assert_documented`] for a text value in which spaces matter.
fn assert_documented_text(what: &str, actual: &str, expected: &str) {
    assert_eq!(
        actual, expected,
        "{what}: the code no longer produces the documented vector"
    );
    assert!(
        PROTOCOL_MD.contains(expected),
        "{what}: docs/protocol.md does not show {expected}"
    );
}

struct Fixture {
    account_key: SigningKey,
    device_key: SigningKey,
    account: AccountId,
    device: DeviceId,
    cert: DeviceCertificate,
}

fn fixture() -> Fixture {
    let account_key = SigningKey::from_bytes(&ACCOUNT_SEED);
    let device_key = SigningKey::from_bytes(&DEVICE_SEED);
    let account = keys::account_id(&account_key);
    let device = keys::device_id(&device_key);
    let cert = DeviceCertificate::issue(&account_key, device, ISSUED_AT);
    Fixture {
        account_key,
        device_key,
        account,
        device,
        cert,
    }
}

fn name_write() -> [Write; 1] {
    [Write::Put(FeedKey::Name, FeedValue::Str("Ada".into()))]
}

fn body() -> Body {
    Body {
        salt: [0x03; 16],
        cw: String::new(),
        text: "Hello, Kith".into(),
        descriptions: Vec::new(),
    }
}

fn post_id(f: &Fixture) -> PostId {
    PostId {
        author: f.account,
        local: POST_LOCAL,
    }
}

fn post_record() -> PostRecord {
    PostRecord {
        created_at: POST_WRITTEN_AT,
        body_hash: Some(body().hash()),
        ..PostRecord::default()
    }
}

/// The feed after the two documented changes, and those changes.
fn feed_with_name_and_post(f: &Fixture) -> (FeedDoc, Change, Change) {
    let mut feed = FeedDoc::new(f.account);
    let name = feed
        .write(f.device, NAME_WRITTEN_AT, &name_write())
        .expect("the name change is valid");
    let post = feed
        .write(
            f.device,
            POST_WRITTEN_AT,
            &[Write::Put(
                FeedKey::Post(POST_LOCAL),
                FeedValue::Bytes(post_record().encode()),
            )],
        )
        .expect("the post change is valid");
    (feed, name, post)
}

fn seal(f: &Fixture, change: &Change) -> Envelope {
    Envelope::seal(
        f.account,
        &f.device_key,
        f.cert.reference(),
        change.raw_bytes().to_vec(),
    )
}

#[test]
fn account_and_device_ids_match_protocol_document() {
    let f = fixture();
    assert_documented(
        "account public key",
        &hex::encode(f.account.0),
        ACCOUNT_PUBLIC,
    );
    assert_documented("device public key", &hex::encode(f.device.0), DEVICE_PUBLIC);
    assert_documented("account id text", &f.account.to_string(), ACCOUNT_TEXT);
    assert_documented("device id text", &f.device.to_string(), DEVICE_TEXT);
    assert_eq!(ACCOUNT_TEXT.parse::<AccountId>(), Ok(f.account));
    assert_eq!(DEVICE_TEXT.parse::<DeviceId>(), Ok(f.device));
}

#[test]
fn recovery_phrase_is_the_bip39_encoding_of_the_account_seed() {
    let f = fixture();
    let phrase: Vec<&str> = PHRASE.split_whitespace().collect();
    let phrase = phrase.join(" ");
    assert_documented_text(
        "recovery phrase",
        &keys::phrase_for(&f.account_key),
        &phrase,
    );
    let restored = keys::account_from_phrase(&phrase).expect("the phrase is valid");
    assert_eq!(restored.to_bytes(), ACCOUNT_SEED);
}

#[test]
fn certificate_vector_matches_protocol_document() {
    let f = fixture();
    let digest = DeviceCertificate::digest(f.account, f.device, ISSUED_AT);
    assert_documented("certificate digest", &hex::encode(digest), CERT_DIGEST);
    assert_documented(
        "certificate signature",
        &hex::encode(f.cert.signature),
        CERT_SIGNATURE,
    );
    let encoding = f.cert.encode();
    assert_documented(
        "certificate encoding",
        &hex::encode(&encoding),
        CERT_ENCODING,
    );
    assert_documented(
        "certificate reference",
        &hex::encode(f.cert.reference()),
        CERT_REFERENCE,
    );
    let decoded = DeviceCertificate::decode_verified(&encoding).expect("the certificate verifies");
    assert_eq!(decoded, f.cert);
}

#[test]
fn change_vector_is_deterministic_and_matches_protocol_document() {
    let f = fixture();
    let make = || {
        FeedDoc::new(f.account)
            .write(f.device, NAME_WRITTEN_AT, &name_write())
            .expect("the name change is valid")
    };
    let (first, second) = (make(), make());
    assert_eq!(
        first.raw_bytes(),
        second.raw_bytes(),
        "change bytes are not deterministic"
    );
    assert_documented("name change", &hex::encode(first.raw_bytes()), NAME_CHANGE);
    assert_documented(
        "name change hash",
        &first.hash().to_string(),
        NAME_CHANGE_HASH,
    );
    assert_eq!(
        first.timestamp(),
        NAME_WRITTEN_AT / 1000,
        "the change time is in seconds"
    );
    assert_eq!(first.actor_id().to_bytes(), f.device.0.as_slice());
    assert_eq!(validate_change(f.account, &first), Ok(vec![FeedKey::Name]));
}

#[test]
fn envelope_vector_matches_protocol_document() {
    let f = fixture();
    let (_, name, _) = feed_with_name_and_post(&f);
    let envelope = seal(&f, &name);
    assert_documented(
        "envelope digest",
        &hex::encode(envelope.digest()),
        ENVELOPE_DIGEST,
    );
    assert_documented(
        "envelope signature",
        &hex::encode(envelope.signature),
        ENVELOPE_SIGNATURE,
    );
    let encoding = hex::encode(envelope.encode());
    assert_documented("envelope encoding", &encoding, ENVELOPE_ENCODING);
    // The encoding is exactly the documented fields, in the documented order.
    let fields = format!(
        "01{ACCOUNT_PUBLIC}{DEVICE_PUBLIC}{CERT_REFERENCE}{:08x}{NAME_CHANGE}{ENVELOPE_SIGNATURE}",
        name.raw_bytes().len()
    );
    let fields: String = fields.split_whitespace().collect();
    assert_eq!(encoding, fields);

    let decoded = Envelope::decode(&envelope.encode()).expect("the envelope decodes");
    assert_eq!(decoded, envelope);
    let verified = decoded.verify(&f.cert).expect("the envelope verifies");
    assert_eq!(
        validate_change(f.account, &verified.change),
        Ok(vec![FeedKey::Name])
    );
}

#[test]
fn body_vector_matches_protocol_document() {
    let body = body();
    assert_documented("body encoding", &hex::encode(body.encode()), BODY_ENCODING);
    assert_documented("body hash", &hex::encode(body.hash()), BODY_HASH);
    assert_eq!(Body::decode(&body.encode()), Ok(body));
}

#[test]
fn described_body_vector_matches_protocol_document() {
    let body = body()
        .with_descriptions(vec!["The Kith logo".into()])
        .expect("a short description");
    assert_documented(
        "body encoding with an image description",
        &hex::encode(body.encode()),
        DESCRIBED_BODY_ENCODING,
    );
    assert_documented(
        "hash of the body with an image description",
        &hex::encode(body.hash()),
        DESCRIBED_BODY_HASH,
    );
    assert_eq!(Body::decode(&body.encode()), Ok(body));
}

#[test]
fn post_record_vectors_match_protocol_document() {
    let f = fixture();
    let id = post_id(&f);
    assert_documented_text("post id text", &id.to_string(), POST_ID_TEXT);
    assert_documented("post id hex", &id.to_hex(), POST_ID_HEX);
    assert_documented_text(
        "post key",
        &FeedKey::Post(POST_LOCAL).to_key(),
        "p/0001020304050607",
    );

    let record = post_record();
    assert_documented("post record", &hex::encode(record.encode()), POST_RECORD);
    assert_eq!(PostRecord::decode(&record.encode()), Ok(record));

    let full = PostRecord {
        created_at: POST_WRITTEN_AT,
        edited_at: Some(EDITED_AT),
        body_hash: Some(body().hash()),
        reply_to: Some(PostId {
            author: f.account,
            local: [0x05; POST_LOCAL_LEN],
        }),
        quote_of: Some(PostId {
            author: f.account,
            local: [0x06; POST_LOCAL_LEN],
        }),
        attachments: vec![[0x04; 32]],
    };
    assert_documented(
        "full post record",
        &hex::encode(full.encode()),
        FULL_POST_RECORD,
    );
    assert_eq!(PostRecord::decode(&full.encode()), Ok(full));
}

#[test]
fn bundle_vector_matches_protocol_document() {
    let f = fixture();
    let (feed, name, post) = feed_with_name_and_post(&f);
    assert_documented(
        "post change hash",
        &post.hash().to_string(),
        POST_CHANGE_HASH,
    );
    let mut body_record = post_id(&f).to_bytes().to_vec();
    body_record.extend_from_slice(&body().encode());

    let mut writer = BundleWriter::new(Vec::new()).expect("writing to memory");
    writer
        .record(RecordKind::Certificate, &f.cert.encode())
        .expect("writing to memory");
    writer
        .record(RecordKind::Envelope, &seal(&f, &name).encode())
        .expect("writing to memory");
    writer
        .record(RecordKind::Envelope, &seal(&f, &post).encode())
        .expect("writing to memory");
    writer
        .record(RecordKind::Body, &body_record)
        .expect("writing to memory");
    let bytes = writer.finish().expect("writing to memory");
    assert_documented("bundle", &hex::encode(&bytes), BUNDLE);
    let checksum = blake3::hash(&bytes[..bytes.len() - 37]);
    assert_eq!(&bytes[bytes.len() - 32..], checksum.as_bytes());
    assert_documented("bundle checksum", &checksum.to_hex(), BUNDLE_CHECKSUM);

    // Import it the way the document says: everything checks, or nothing is kept.
    let records = bundle::parse(&bytes).expect("the bundle parses");
    let kinds: Vec<RecordKind> = records.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            RecordKind::Certificate,
            RecordKind::Envelope,
            RecordKind::Envelope,
            RecordKind::Body
        ]
    );
    let cert = DeviceCertificate::decode_verified(records[0].1).expect("the certificate verifies");
    let mut imported = FeedDoc::new(f.account);
    for (_, envelope) in &records[1..3] {
        let envelope = Envelope::decode(envelope).expect("the envelope decodes");
        let verified = envelope.verify(&cert).expect("the envelope verifies");
        validate_change(envelope.account, &verified.change).expect("the change fits the schema");
        imported
            .apply(vec![verified.change])
            .expect("the change applies");
    }
    assert_eq!(imported.heads(), feed.heads());
    let (record, deleted) = imported.post(POST_LOCAL).expect("the post arrived");
    assert!(!deleted);
    let (id, body) = records[3].1.split_at(PostId::LEN);
    assert_eq!(PostId::from_bytes(id), Ok(post_id(&f)));
    let body = Body::decode(body).expect("the body decodes");
    assert_eq!(record.body_hash, Some(body.hash()));
}
