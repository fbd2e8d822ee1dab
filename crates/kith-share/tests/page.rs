//! The share page on loopback: it serves the page, the signed manifest and
//! the package it was given, byte for byte, and nothing else; it holds to
//! its connection and rate bounds; and it stops by itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use kith_core::release::{Manifest, PackageDigest, ReleaseKey};
use kith_node::release::Installer;
use kith_share::{MAX_CONNECTIONS, REQUESTS_PER_MINUTE, ShareOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PACKAGE: &str = "Kith_9.0.0_amd64.deb";

/// A home whose installer keeps a 3 MB package signed by a test key.
fn home_with_release(dir: &Path) -> (Installer, Vec<u8>, String) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let source = dir.join("src");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join(PACKAGE), &bytes).unwrap();
    let mut digest = PackageDigest::new();
    digest.update(&bytes);
    let signed = Manifest {
        version: semver::Version::new(9, 0, 0),
        date: "2026-11-23".into(),
        files: vec![digest.finish(PACKAGE)],
    }
    .sign(&key)
    .unwrap();
    std::fs::write(source.join("kith-manifest.txt"), signed.text()).unwrap();
    let installer = Installer::with_key(&dir.join("home"), ReleaseKey::of(&key));
    installer
        .add(&source.join("kith-manifest.txt"), &[source.join(PACKAGE)])
        .unwrap();
    (installer, bytes, signed.text().to_owned())
}

/// Sends one request and reads the whole answer: status and body.
async fn fetch(addr: SocketAddr, method: &str, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 10 s")
        .unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    (status, answer[split + 4..].to_vec())
}

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_page_serves_the_manifest_and_package_byte_for_byte_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (installer, package, manifest) = home_with_release(dir.path());
    let options = ShareOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        duration: Duration::from_secs(60),
    };
    let sharing = kith_share::start(&installer, options).await.unwrap();
    let info = sharing.info().clone();
    let addr = addr_of(&info.urls[0]);

    let (status, page) = fetch(addr, "GET", "/").await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains(&info.fingerprint),
        "the page shows the fingerprint"
    );
    assert!(
        page.contains(&info.files[0].sha256),
        "the page shows the SHA-256"
    );
    assert!(page.contains("sudo apt install ./Kith_9.0.0_amd64.deb"));
    assert!(page.contains("sha256sum Kith_9.0.0_amd64.deb"));
    assert!(page.contains("<svg"), "the page holds a QR code");
    assert!(!page.contains("<script"), "the page runs no script");

    assert_eq!(
        fetch(addr, "GET", "/kith-manifest.txt").await,
        (200, manifest.into_bytes())
    );
    let (status, served) = fetch(addr, "GET", &format!("/{PACKAGE}")).await;
    assert_eq!(status, 200);
    assert!(served == package, "the package is served byte for byte");
    assert_eq!(
        fetch(addr, "HEAD", &format!("/{PACKAGE}")).await,
        (200, Vec::new())
    );

    for path in [
        "/etc/passwd",
        "/../installer/kith-manifest.txt",
        "/src",
        "/favicon.ico",
    ] {
        assert_eq!(
            fetch(addr, "GET", path).await.0,
            404,
            "{path} is not offered"
        );
    }
    assert_eq!(
        fetch(addr, "POST", "/").await.0,
        405,
        "the page is read-only"
    );
    sharing.stop();
    tokio::time::timeout(Duration::from_secs(40), sharing.finished())
        .await
        .expect("stopped");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens once stopped"
    );
}

#[tokio::test]
async fn the_page_bounds_connections_and_requests_and_stops_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (installer, _, _) = home_with_release(dir.path());
    let options = ShareOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        duration: Duration::from_secs(4),
    };
    let sharing = kith_share::start(&installer, options).await.unwrap();
    let addr = addr_of(&sharing.info().urls[0]);

    // Idle connections take every slot; one more is closed at once.
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let _ = extra.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), extra.read(&mut buf))
        .await
        .expect("the extra connection is closed at once, not left waiting");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "connection over the bound got an answer"
    );
    drop(idle);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // One address gets REQUESTS_PER_MINUTE answers a minute, then 429.
    let mut statuses = Vec::new();
    for _ in 0..=REQUESTS_PER_MINUTE {
        statuses.push(fetch(addr, "HEAD", "/").await.0);
    }
    assert!(
        statuses[..REQUESTS_PER_MINUTE as usize - 1]
            .iter()
            .all(|s| *s == 200)
    );
    assert_eq!(statuses.last(), Some(&429), "over the rate: {statuses:?}");

    tokio::time::timeout(Duration::from_secs(40), sharing.finished())
        .await
        .expect("the page stops by itself when its time is up");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens once stopped"
    );
}
