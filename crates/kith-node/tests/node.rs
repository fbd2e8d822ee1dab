//! The node API end to end, on real files.
#![allow(clippy::unwrap_used)]

use kith_node::{NewPost, Node, NodeError, PostEdit};

/// `marker` in a PNG-shaped file: an image as far as the node checks,
/// published byte for byte.
fn png(marker: &[u8]) -> Vec<u8> {
    kith_core::image::png_holding(marker)
}

/// A real picture written with metadata beside it (kith-core's fixtures:
/// GPS, camera, comments, XMP, all naming "SecretCity" or "KithTestCam").
fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../kith-core/tests/fixtures/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

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
    let image = png(b"PNG bytes with a unique marker qwertzuiopmarker");
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
        images: vec![png(b"first")],
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
            images: vec![png(b"first"), png(b"second"), png(b"third")],
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
            images: vec![png(b"first"), png(b"second")],
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
            images: vec![png(b"the sunset")],
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
            images: vec![png(b"strawberries")],
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

#[test]
fn init_with_a_name_the_feed_schema_refuses_writes_nothing_and_init_can_run_again() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    let long = "a".repeat(kith_core::limits::MAX_NAME_BYTES + 6);
    let refused = node.init(Some(&long), "pw");
    let Err(e) = refused else {
        panic!("a {}-byte name was accepted", long.len())
    };
    assert!(e.to_string().contains("name longer than 64 bytes"), "{e}");
    for file in ["account.key", "device.key", kith_node::IDENTITY_FILE] {
        assert!(
            !home.path().join(file).exists(),
            "{file} was written for a refused init"
        );
    }
    let mut again = Node::open(home.path()).unwrap();
    let created = again.init(Some(&"a".repeat(64)), "pw").unwrap();
    assert_eq!(created.phrase.split(' ').count(), 24);
    assert_eq!(
        again.profile(None).unwrap().name.as_deref(),
        Some("a".repeat(64).as_str())
    );
}

#[test]
fn only_png_jpeg_gif_and_webp_images_are_posted_or_set_as_the_avatar() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let text_file = b"just some words, not a picture\n".to_vec();
    let refused = node.post(NewPost {
        text: Some("look".into()),
        images: vec![png(b"the first of two, zqxw"), text_file.clone()],
        ..NewPost::default()
    });
    let Err(NodeError::Invalid(why)) = refused else {
        panic!("a text file was posted as an image: {refused:?}")
    };
    assert!(
        why.contains("image 2 of 2 is not a PNG, JPEG, GIF or WebP image"),
        "{why}"
    );
    let avatar = node.set_profile(None, None, Some(&text_file));
    let Err(NodeError::Invalid(why)) = avatar else {
        panic!("a text file was set as the avatar: {avatar:?}")
    };
    assert!(
        why.contains("the avatar is not a PNG, JPEG, GIF or WebP image"),
        "{why}"
    );
    node.store().checkpoint().unwrap();
    for refused in [&b"zqxw"[..], b"not a picture"] {
        assert!(
            files_containing(home.path(), refused).is_empty(),
            "nothing of a refused post or avatar is stored"
        );
    }
    assert!(node.profile(None).unwrap().avatar.is_none());

    let images = [
        "photo-meta.png",
        "photo-gps.jpg",
        "photo-comment.gif",
        "photo-meta.webp",
    ]
    .map(fixture);
    for image in images {
        node.post(NewPost {
            images: vec![image.clone()],
            ..NewPost::default()
        })
        .unwrap_or_else(|e| panic!("{:?} refused: {e}", &image[..4]));
        node.set_profile(None, None, Some(&image)).unwrap();
    }
    assert!(node.profile(None).unwrap().avatar.is_some());
}

#[test]
fn a_posted_photo_and_an_avatar_are_stored_without_where_they_were_taken_and_a_damaged_one_is_refused()
 {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let photo = fixture("photo-gps.jpg");
    let id = node
        .post(NewPost {
            text: Some("where was this?".into()),
            images: vec![photo.clone()],
            ..NewPost::default()
        })
        .unwrap();
    node.set_profile(None, None, Some(&fixture("photo-meta.png")))
        .unwrap();
    node.store().checkpoint().unwrap();
    for secret in [&b"SecretCity"[..], b"KithTestCam", b"secret comment"] {
        assert!(
            files_containing(home.path(), secret).is_empty(),
            "{} is stored",
            String::from_utf8_lossy(secret)
        );
    }
    let post = node
        .thread(&id)
        .unwrap()
        .posts
        .into_iter()
        .find(|p| p.id == id)
        .unwrap();
    let hash: [u8; 32] = hex::decode(&post.attachments[0])
        .unwrap()
        .try_into()
        .unwrap();
    let stored = node.blob(&hash).unwrap().unwrap();
    assert_eq!(
        stored,
        kith_core::image::without_metadata(&photo).unwrap(),
        "the photo is stored as published: the same picture without its metadata"
    );

    // Cut inside its EXIF, before the picture begins.
    let mut cut = photo.clone();
    cut.truncate(40);
    let refused = node.post(NewPost {
        text: Some("cut short".into()),
        images: vec![cut],
        ..NewPost::default()
    });
    let Err(NodeError::Invalid(why)) = refused else {
        panic!("a photo cut before its picture was posted: {refused:?}")
    };
    assert!(
        why.contains("the image looks damaged and is not published"),
        "{why}"
    );
}

#[test]
fn following_an_account_this_home_blocks_is_refused_and_no_follow_is_written() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut ada = Node::open(a.path()).unwrap();
    ada.init(Some("Ada"), "pw").unwrap();
    let bea = Node::open(b.path())
        .unwrap()
        .init(None, "pw")
        .unwrap()
        .account;
    for public in [false, true] {
        ada.block(bea, public).unwrap();
        let refused = ada.follow(bea);
        let Err(NodeError::Invalid(why)) = refused else {
            panic!("a blocked account was followed (public block: {public}): {refused:?}")
        };
        assert!(
            why.contains("you block") && why.contains("unblock"),
            "{why}"
        );
        let me = ada.identity().unwrap().account;
        let follows = ada
            .store_mut()
            .read_feed(me, |doc| doc.follows().contains(&bea))
            .unwrap();
        assert!(!follows, "an f/ key was written");
        assert!(ada.following().unwrap().is_empty());
        ada.unblock(bea).unwrap();
    }
    ada.follow(bea).unwrap();
    assert_eq!(
        ada.following().unwrap().len(),
        1,
        "once unblocked it can be"
    );
}

#[test]
fn export_writes_only_the_file_asked_for_and_leaves_nothing_behind_when_it_fails() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let me = node.identity().unwrap().account;
    let usb = tempfile::tempdir().unwrap();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(usb.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    // A file of the user's that the old temporary name (`out.partial`)
    // overwrote, then removed.
    std::fs::write(usb.path().join("report.partial"), b"mine").unwrap();
    let out = usb.path().join("report.bundle");
    let report = node.export(&[me, me], &out, &mut |_, _| {}).unwrap();
    assert_eq!(report.feeds, 1, "a feed given twice is written once");
    assert_eq!(
        std::fs::read(usb.path().join("report.partial")).unwrap(),
        b"mine"
    );
    assert_eq!(listing(), ["report.bundle", "report.partial"]);

    // --out naming a folder: refused, the error names it, nothing written.
    let folder = usb.path().join("stick");
    std::fs::create_dir(&folder).unwrap();
    let e = node.export(&[], &folder, &mut |_, _| {}).unwrap_err();
    assert!(
        e.to_string().starts_with(&folder.display().to_string()),
        "{e}"
    );
    // A missing folder: the error names the file asked for.
    let lost = usb.path().join("gone").join("x.bundle");
    let e = node.export(&[], &lost, &mut |_, _| {}).unwrap_err();
    assert!(
        e.to_string().starts_with(&lost.display().to_string()),
        "{e}"
    );
    // A feed not held here: the store refuses it after the file was begun.
    let stranger = Node::open(tempfile::tempdir().unwrap().path())
        .unwrap()
        .init(None, "pw")
        .unwrap()
        .account;
    let e = node
        .export(
            &[stranger],
            &usb.path().join("other.bundle"),
            &mut |_, _| {},
        )
        .unwrap_err();
    assert!(e.to_string().contains("not found"), "{e}");
    assert_eq!(
        listing(),
        ["report.bundle", "report.partial", "stick"],
        "no partial file stays behind"
    );
    assert!(std::fs::read_dir(&folder).unwrap().next().is_none());
}

#[test]
fn an_import_whose_file_cannot_be_read_names_that_file_and_imports_nothing() {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let usb = tempfile::tempdir().unwrap();
    // A folder opens like a file on Linux; reading it fails, as a failing
    // stick does mid-read.
    let folder = usb.path().join("stick.kith");
    std::fs::create_dir(&folder).unwrap();
    let e = node.import(&folder, &mut |_, _| {}).unwrap_err();
    assert!(
        e.to_string().starts_with(&folder.display().to_string()),
        "the error names the file, not the store's word for it: {e}"
    );
    assert_eq!(e.code(), "io", "{e}");
    assert_eq!(node.following().unwrap().len(), 0, "nothing was imported");
}

#[test]
fn recovery_phrase_errors_count_the_words_from_1_to_24() {
    let home = tempfile::tempdir().unwrap();
    let phrase = Node::open(home.path())
        .unwrap()
        .init(None, "pw")
        .unwrap()
        .phrase;
    let words: Vec<&str> = phrase.split(' ').collect();
    for (at, told) in [(0, "word 1 of 24"), (23, "word 24 of 24")] {
        let mut wrong = words.clone();
        wrong[at] = "kithx";
        let other = tempfile::tempdir().unwrap();
        let e = Node::open(other.path())
            .unwrap()
            .restore(&wrong.join(" "), "pw")
            .unwrap_err()
            .to_string();
        assert!(e.contains(told), "{e}");
        assert!(!e.contains("word 0"), "{e}");
    }
}

#[test]
fn posts_reads_the_held_ones_in_the_order_asked_with_their_counts_and_deletions_and_leaves_out_the_rest()
 {
    let home = tempfile::tempdir().unwrap();
    let mut node = Node::open(home.path()).unwrap();
    node.init(Some("Ada"), "pw").unwrap();
    let text = |t: &str| NewPost {
        text: Some(t.into()),
        ..NewPost::default()
    };
    let (first, second, gone) = (
        node.post(text("first")).unwrap(),
        node.post(text("second")).unwrap(),
        node.post(text("soon deleted")).unwrap(),
    );
    node.react(&first, "👍").unwrap();
    node.delete(&gone).unwrap();
    let never = kith_core::PostId {
        author: first.author,
        local: [7; 8],
    };

    let read = node.posts(&[second, never, first, gone]).unwrap();
    let ids: Vec<_> = read.iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        [second, first, gone],
        "held posts in the order asked; one never written is left out"
    );
    assert_eq!(
        read[1].reactions.get("👍"),
        Some(&1),
        "counts as they are now"
    );
    assert_eq!(read[1].my_reactions, ["👍"]);
    assert!(
        read[2].deleted && read[2].text.is_none(),
        "a deleted post as its placeholder: {:?}",
        read[2]
    );
    assert!(node.posts(&[]).unwrap().is_empty());
}
