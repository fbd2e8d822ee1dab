//! The node API end to end, on real files.
#![allow(clippy::unwrap_used)]

use kith_node::{NewPost, Node, NodeError, PostEdit};

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_containing(&p, needle));
        } else if std::fs::read(&p)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
        {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn deleting_a_post_erases_its_text_image_and_description_from_every_file_of_the_home() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let image = b"PNG-ish bytes with a unique marker qwertzuiopmarker".to_vec();
    let id = node
        .post(NewPost {
            text: Some("lettre secrète xylophonique".into()),
            cw: Some("avertissement-unique".into()),
            images: vec![image.clone()],
            descriptions: vec!["un zébu-descriptif unique".into()],
            ..NewPost::default()
        })
        .unwrap();
    node.post(NewPost {
        text: Some("stays".into()),
        ..NewPost::default()
    })
    .unwrap();
    node.store().checkpoint().unwrap();
    let shown = node.store().post(&id).unwrap().unwrap();
    assert_eq!(shown.descriptions, ["un zébu-descriptif unique"]);
    for needle in [
        "xylophonique",
        "avertissement-unique",
        "qwertzuiopmarker",
        "zébu-descriptif",
    ] {
        assert!(
            !files_containing(home.path(), needle.as_bytes()).is_empty(),
            "{needle} should be stored before the delete"
        );
    }
    node.delete(&id).unwrap();
    for needle in [
        "xylophonique",
        "avertissement-unique",
        "qwertzuiopmarker",
        "zébu-descriptif",
    ] {
        let found = files_containing(home.path(), needle.as_bytes());
        assert!(
            found.is_empty(),
            "`{needle}` survived the delete in {found:?}"
        );
    }
    let tl = node.timeline(10, None).unwrap();
    assert_eq!(tl.posts.len(), 1);
    assert_eq!(tl.posts[0].text.as_deref(), Some("stays"));
}

#[test]
fn restore_gives_the_same_account_with_a_new_device_and_keys_need_the_passphrase() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut first = Node::open(a.path()).unwrap();
    let created = first.init(None, "one").unwrap();
    let mut second = Node::open(b.path()).unwrap();
    let restored = second.restore(&created.phrase, "two").unwrap();
    assert_eq!(restored.account, created.account);
    assert_ne!(restored.device, created.device);

    let mut reopened = Node::open(b.path()).unwrap();
    assert!(matches!(
        reopened.unlock("one"),
        Err(NodeError::WrongPassphrase(_))
    ));
    assert!(matches!(
        reopened.post(NewPost {
            text: Some("x".into()),
            ..NewPost::default()
        }),
        Err(NodeError::Invalid(_))
    ));
    reopened.unlock("two").unwrap();
    reopened
        .post(NewPost {
            text: Some("from the second device".into()),
            ..NewPost::default()
        })
        .unwrap();
    assert!(matches!(
        Node::open(a.path()).unwrap().init(None, "x"),
        Err(NodeError::AlreadyInitialized(..))
    ));
}

#[test]
fn another_accounts_post_cannot_be_edited_or_deleted() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut ada = Node::open(a.path()).unwrap();
    ada.init(Some("Ada"), "pw").unwrap();
    let id = ada
        .post(NewPost {
            text: Some("mine".into()),
            ..NewPost::default()
        })
        .unwrap();
    let mut bob = Node::open(b.path()).unwrap();
    bob.init(Some("Bob"), "pw").unwrap();
    let err = bob.delete(&id).unwrap_err().to_string();
    assert!(err.contains("another account"), "{err}");
    assert!(bob.edit(&id, PostEdit::text("hijacked")).is_err());
}

#[test]
fn the_recovery_phrase_can_be_shown_again_with_the_passphrase_only() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    let created = node.init(Some("Ada"), "pw").unwrap();
    assert_eq!(node.recovery_phrase("pw").unwrap().as_str(), created.phrase);
    let reopened = Node::open(home.path()).unwrap();
    assert_eq!(
        reopened.recovery_phrase("pw").unwrap().as_str(),
        created.phrase,
        "a locked node shows it too"
    );
    assert!(matches!(
        reopened.recovery_phrase("wrong"),
        Err(NodeError::WrongPassphrase(_))
    ));
}

#[test]
fn image_descriptions_are_kept_by_an_edit_and_never_outnumber_the_images() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let too_many = node.post(NewPost {
        text: Some("one image".into()),
        images: vec![b"first".to_vec()],
        descriptions: vec!["a".into(), "b".into()],
        ..NewPost::default()
    });
    let Err(NodeError::Invalid(why)) = too_many else {
        panic!("two descriptions for one image were accepted: {too_many:?}")
    };
    assert!(why.contains("2 image descriptions for 1 images"), "{why}");

    let id = node
        .post(NewPost {
            text: Some("Au marché".into()),
            images: vec![b"first".to_vec(), b"second".to_vec(), b"third".to_vec()],
            descriptions: vec![String::new(), "  Des fraises  ".into()],
            ..NewPost::default()
        })
        .unwrap();
    let shown = node.store().post(&id).unwrap().unwrap();
    assert_eq!(
        shown.descriptions,
        ["", "Des fraises"],
        "trimmed, the undescribed last image left out"
    );
    node.edit(&id, PostEdit::text("Au marché ce matin"))
        .unwrap();
    let edited = node.store().post(&id).unwrap().unwrap();
    assert_eq!(edited.text.as_deref(), Some("Au marché ce matin"));
    assert_eq!(edited.descriptions, ["", "Des fraises"], "kept by the edit");
}

#[test]
fn an_edit_can_change_the_content_warning_and_the_image_descriptions() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let id = node
        .post(NewPost {
            text: Some("La fin du film".into()),
            cw: Some("spoilers".into()),
            images: vec![b"first".to_vec(), b"second".to_vec()],
            ..NewPost::default()
        })
        .unwrap();
    node.edit(
        &id,
        PostEdit {
            text: "La fin du film !".into(),
            cw: Some("gros spoilers".into()),
            descriptions: Some(vec!["  L'affiche  ".into(), "Le générique".into()]),
        },
    )
    .unwrap();
    let edited = node.store().post(&id).unwrap().unwrap();
    assert_eq!(edited.cw.as_deref(), Some("gros spoilers"));
    assert_eq!(
        edited.descriptions,
        ["L'affiche", "Le générique"],
        "trimmed"
    );
    assert_eq!(edited.attachments.len(), 2, "the images stay");

    // Blank removes: the warning, and each description left empty.
    node.edit(
        &id,
        PostEdit {
            text: "La fin du film !".into(),
            cw: Some("  ".into()),
            descriptions: Some(vec![String::new(), "Le générique".into()]),
        },
    )
    .unwrap();
    let edited = node.store().post(&id).unwrap().unwrap();
    assert_eq!(edited.cw, None, "a blank warning removes it");
    assert_eq!(edited.descriptions, ["", "Le générique"]);

    let refused = node.edit(
        &id,
        PostEdit {
            text: "trois".into(),
            cw: None,
            descriptions: Some(vec!["a".into(), "b".into(), "c".into()]),
        },
    );
    let Err(NodeError::Invalid(why)) = refused else {
        panic!("three descriptions for two images were accepted: {refused:?}")
    };
    assert!(why.contains("3 image descriptions"), "{why}");
    let kept = node.store().post(&id).unwrap().unwrap();
    assert_eq!(
        kept.text.as_deref(),
        Some("La fin du film !"),
        "a refused edit changes nothing"
    );
    assert_eq!(kept.descriptions, ["", "Le générique"]);

    let too_long = node.edit(
        &id,
        PostEdit {
            text: "x".into(),
            cw: None,
            descriptions: Some(vec![
                "d".repeat(kith_core::limits::MAX_IMAGE_DESCRIPTION_BYTES + 1),
            ]),
        },
    );
    assert!(too_long.is_err(), "a description over the limit is refused");
}

#[test]
fn a_locked_node_signs_nothing_until_its_device_key_is_decrypted_and_handed_back() {
    let home = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(None, "right one").unwrap();
    Node::open(other.path())
        .unwrap()
        .init(None, "right one")
        .unwrap();
    let post = |node: &mut Node, text: &str| {
        node.post(NewPost {
            text: Some(text.into()),
            ..NewPost::default()
        })
    };

    node.lock();
    assert!(!node.is_unlocked());
    let refused = post(&mut node, "behind the lock").unwrap_err();
    assert!(refused.to_string().contains("locked"), "{refused}");

    assert!(matches!(
        Node::decrypt_device_key(home.path(), "wrong one"),
        Err(NodeError::WrongPassphrase(_))
    ));
    assert!(
        Node::decrypt_device_key(empty.path(), "right one").is_err(),
        "a home with no account has no passphrase"
    );
    let foreign = Node::decrypt_device_key(other.path(), "right one").unwrap();
    assert!(
        node.unlock_with(foreign).is_err(),
        "another home's device key is refused"
    );
    assert!(!node.is_unlocked());

    let key = Node::decrypt_device_key(home.path(), "right one").unwrap();
    assert_eq!(format!("{key:?}"), "DeviceKey(…)", "a key is never printed");
    node.unlock_with(key).unwrap();
    post(&mut node, "open again").unwrap();
    let texts: Vec<_> = node
        .timeline(10, None)
        .unwrap()
        .posts
        .into_iter()
        .filter_map(|p| p.text)
        .collect();
    assert_eq!(texts, ["open again"], "nothing was signed while locked");
}

#[test]
fn a_changed_passphrase_opens_the_keys_and_the_old_one_no_longer_does() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    let created = node.init(Some("Ada"), "old passphrase").unwrap();
    drop(node);

    let wrong = Node::change_passphrase(home.path(), "not it", "new passphrase");
    assert!(
        matches!(wrong, Err(NodeError::WrongPassphrase(_))),
        "{wrong:?}"
    );
    Node::change_passphrase(home.path(), "old passphrase", "new passphrase").unwrap();
    assert!(
        !home.path().join("account.key.new").exists()
            && !home.path().join("device.key.new").exists(),
        "nothing is left beside the key files"
    );

    let mut node = Node::open(home.path()).unwrap();
    assert!(matches!(
        node.unlock("old passphrase"),
        Err(NodeError::WrongPassphrase(_))
    ));
    node.unlock("new passphrase").unwrap();
    assert_eq!(
        node.recovery_phrase("new passphrase").unwrap().as_str(),
        created.phrase,
        "the account key is the same, under the new passphrase"
    );
    node.post(NewPost {
        text: Some("still signing".into()),
        ..NewPost::default()
    })
    .unwrap();
    assert!(Node::change_passphrase(home.path(), "new passphrase", "").is_err());
}

#[test]
fn a_forgotten_passphrase_is_replaced_with_the_recovery_phrase_as_a_new_device() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    let created = node.init(Some("Ada"), "forgotten").unwrap();
    node.post(NewPost {
        text: Some("before".into()),
        ..NewPost::default()
    })
    .unwrap();
    drop(node);

    let mut node = Node::open(home.path()).unwrap();
    let other = {
        let dir = tempfile::tempdir().unwrap();
        Node::open(dir.path())
            .unwrap()
            .init(None, "x")
            .unwrap()
            .phrase
    };
    let refused = node.reset_passphrase(&other, "fresh passphrase");
    assert!(
        matches!(&refused, Err(NodeError::OtherAccount { home, .. }) if *home == created.account),
        "{refused:?}"
    );
    assert!(
        node.reset_passphrase("not a phrase", "fresh passphrase")
            .is_err()
    );
    node.unlock("forgotten").unwrap();
    node.lock();

    let reset = node
        .reset_passphrase(&created.phrase, "fresh passphrase")
        .unwrap();
    assert_eq!(reset.account, created.account, "the same account");
    assert_ne!(reset.device, created.device, "as a new device");
    node.post(NewPost {
        text: Some("after".into()),
        ..NewPost::default()
    })
    .expect("signs at once with the new device key");
    drop(node);

    let mut node = Node::open(home.path()).unwrap();
    assert!(matches!(
        node.unlock("forgotten"),
        Err(NodeError::WrongPassphrase(_))
    ));
    node.unlock("fresh passphrase").unwrap();
    let texts: Vec<String> = node
        .feed(created.account, 10, None)
        .unwrap()
        .posts
        .into_iter()
        .filter_map(|p| p.text)
        .collect();
    assert_eq!(texts, ["after", "before"], "the feed goes on");
}

#[test]
fn a_post_of_images_alone_is_published_and_its_text_can_be_emptied_by_an_edit() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let id = node
        .post(NewPost {
            text: Some("  ".into()),
            images: vec![b"the sunset".to_vec()],
            descriptions: vec!["Le soleil couchant".into()],
            ..NewPost::default()
        })
        .unwrap();
    let shown = node.store().post(&id).unwrap().unwrap();
    assert_eq!(shown.attachments.len(), 1);
    assert!(
        shown.text.as_deref().unwrap_or_default().is_empty(),
        "blank text is kept as none: {:?}",
        shown.text
    );
    assert_eq!(shown.descriptions, ["Le soleil couchant"]);

    let captioned = node
        .post(NewPost {
            text: Some("Au marché".into()),
            images: vec![b"strawberries".to_vec()],
            ..NewPost::default()
        })
        .unwrap();
    node.edit(&captioned, PostEdit::text(" ")).unwrap();
    let edited = node.store().post(&captioned).unwrap().unwrap();
    assert!(edited.text.as_deref().unwrap_or_default().is_empty());
    assert_eq!(edited.attachments.len(), 1, "the image stays");

    let nothing = node.post(NewPost {
        text: Some(" ".into()),
        ..NewPost::default()
    });
    let Err(NodeError::Invalid(why)) = nothing else {
        panic!("a post of nothing was accepted: {nothing:?}")
    };
    assert!(why.contains("some text or an image"), "{why}");
    let words = node
        .post(NewPost {
            text: Some("Words alone".into()),
            ..NewPost::default()
        })
        .unwrap();
    let emptied = node.edit(&words, PostEdit::text(""));
    let Err(NodeError::Invalid(why)) = emptied else {
        panic!("the only text of a post was emptied: {emptied:?}")
    };
    assert!(why.contains("without images needs some text"), "{why}");
    let kept = node.store().post(&words).unwrap().unwrap();
    assert_eq!(kept.text.as_deref(), Some("Words alone"), "unchanged");
}

#[test]
fn a_reaction_counts_once_per_person_shows_as_mine_and_can_be_taken_back() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let id = node
        .post(NewPost {
            text: Some("Bonjour".into()),
            ..NewPost::default()
        })
        .unwrap();
    node.react(&id, "👍").unwrap();
    node.react(&id, "👍").unwrap();
    node.react(&id, "🎉").unwrap();
    let shown = node.store().post(&id).unwrap().unwrap();
    assert_eq!(shown.reactions.get("👍"), Some(&1), "one per person");
    let mut mine = shown.my_reactions.clone();
    mine.sort();
    assert_eq!(mine, ["🎉", "👍"]);

    node.unreact(&id, "👍").unwrap();
    let shown = node.store().post(&id).unwrap().unwrap();
    assert_eq!(shown.reactions.get("👍"), None, "taken back");
    assert_eq!(shown.my_reactions, ["🎉"]);
    let again = node.unreact(&id, "👍");
    let Err(NodeError::Invalid(why)) = again else {
        panic!("a reaction never given was taken back: {again:?}")
    };
    assert!(why.contains("not reacted 👍"), "{why}");
}
