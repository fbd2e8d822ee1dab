//! "Share Kith": a small read-only web page on the LAN that offers this
//! machine's genuine Kith packages (the installer directory of its home)
//! with their signed manifest, install steps and a QR code of its address,
//! so someone with no Kith yet can get it from someone who has it, with no
//! store, no domain name and no internet.
//!
//! Bounds: it listens only on the address given; it stops by itself after
//! the minutes given; it serves at most [`MAX_CONNECTIONS`] connections at
//! once and [`REQUESTS_PER_MINUTE`] requests a minute to one address; it
//! answers `GET` and `HEAD` of the page, the manifest and the package files,
//! and nothing else. The files are read and checked against the manifest
//! when sharing starts and served from memory, so what is served is what
//! was checked.

mod page;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use kith_node::release::Installer;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

pub use page::qr_svg;

/// The manifest's path on the page.
pub const MANIFEST_PATH: &str = "kith-manifest.txt";
/// The port used when an address is given without one.
pub const DEFAULT_PORT: u16 = 4180;
/// Minutes the page stays up by default.
pub const DEFAULT_MINUTES: u32 = 15;
/// Longest a page may stay up, in minutes.
pub const MAX_MINUTES: u32 = 240;
/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 32;
/// Requests one address may make in a minute; more get 429.
pub const REQUESTS_PER_MINUTE: u32 = 120;
/// Longest one connection may stay open.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a client may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long downloads under way may finish once the page stops.
const DRAIN: Duration = Duration::from_secs(30);
/// Addresses remembered for rate limiting.
const MAX_TRACKED: usize = 4096;

/// Why sharing could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    /// Nothing to share.
    #[error(
        "this home holds no Kith package to share: add one with \
         `kith installer add FILE --manifest kith-manifest.txt`"
    )]
    NothingHeld,
    /// From the installer directory (a package no longer matches, …).
    #[error(transparent)]
    Node(#[from] kith_node::NodeError),
    /// The minutes are out of range.
    #[error("share for 1 to {MAX_MINUTES} minutes, not {0}")]
    Minutes(u32),
    /// The address could not be listened on.
    #[error("cannot listen on {addr}: {source} (choose another address or port with --listen)")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// No address was given and none or several LAN addresses exist.
    #[error("{0}")]
    Address(String),
}

/// Where and how long to share.
#[derive(Debug, Clone, Copy)]
pub struct ShareOptions {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// How long before the page stops by itself (at most [`MAX_MINUTES`]).
    pub duration: Duration,
}

impl ShareOptions {
    /// Sharing on `listen` for `minutes` (1 to [`MAX_MINUTES`]).
    pub fn minutes(listen: SocketAddr, minutes: u32) -> Result<Self, ShareError> {
        if minutes == 0 || minutes > MAX_MINUTES {
            return Err(ShareError::Minutes(minutes));
        }
        Ok(Self {
            listen,
            duration: Duration::from_secs(u64::from(minutes) * 60),
        })
    }
}

/// What is being shared, where, and until when.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ShareInfo {
    /// The page's addresses (one per LAN address when listening on all).
    pub urls: Vec<String>,
    /// The Kith version offered.
    pub version: String,
    /// The release key's fingerprint, to read aloud.
    pub fingerprint: String,
    /// The files offered: name and SHA-256.
    pub files: Vec<kith_node::release::HeldFile>,
    /// When the page stops by itself (ms since the epoch).
    pub until: f64,
    /// An SVG QR code of the first address.
    pub qr_svg: String,
}

/// A share page that is up. Dropping it stops the page.
pub struct Sharing {
    info: ShareInfo,
    stop: watch::Sender<bool>,
    done: watch::Receiver<bool>,
}

impl Sharing {
    /// What is shared and where.
    pub fn info(&self) -> &ShareInfo {
        &self.info
    }

    /// Stops the page (downloads under way get a short time to finish).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Whether the page has stopped (by itself or by [`Sharing::stop`]).
    pub fn stopped(&self) -> bool {
        *self.done.borrow()
    }

    /// Waits until the page has stopped.
    pub async fn finished(&self) {
        let mut done = self.done.clone();
        let _ = done.wait_for(|d| *d).await;
    }
}

impl Drop for Sharing {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The LAN addresses of this machine: private and link-local IPv4, and
/// unique-local IPv6 (never loopback or a public address).
pub fn lan_addresses() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(is_lan)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn is_lan(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// Reads `--listen`: `IP`, `IP:PORT` or `[IPv6]:PORT`; with none, the one
/// LAN address of this machine (an error names them when there are several).
pub fn choose_address(listen: Option<&str>) -> Result<SocketAddr, ShareError> {
    if let Some(text) = listen {
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(addr);
        }
        return text
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, DEFAULT_PORT))
            .map_err(|_| {
                ShareError::Address(format!(
                    "`{text}` is not an address: give an IP address, optionally with a port \
                     (e.g. 192.168.1.20 or 192.168.1.20:{DEFAULT_PORT})"
                ))
            });
    }
    match lan_addresses().as_slice() {
        [] => Err(ShareError::Address(
            "this machine has no LAN address: connect to a network, or choose where to \
             listen with --listen ADDR"
                .into(),
        )),
        [one] => Ok(SocketAddr::new(*one, DEFAULT_PORT)),
        several => Err(ShareError::Address(format!(
            "this machine has several LAN addresses ({}): choose the one the other person \
             can reach with --listen ADDR",
            several
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn url_of(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(v6) => format!("http://[{v6}]:{}/", addr.port()),
        IpAddr::V4(v4) => format!("http://{v4}:{}/", addr.port()),
    }
}

/// The files served, by path.
struct Site {
    routes: HashMap<String, (Bytes, &'static str)>,
}

/// Starts the page: checks every held package against the signed manifest,
/// binds the address, and serves until the minutes run out or it is stopped.
pub async fn start(installer: &Installer, options: ShareOptions) -> Result<Sharing, ShareError> {
    if options.duration.is_zero()
        || options.duration > Duration::from_secs(u64::from(MAX_MINUTES) * 60)
    {
        return Err(ShareError::Minutes(
            (options.duration.as_secs() / 60) as u32,
        ));
    }
    let manifest = installer.manifest()?.ok_or(ShareError::NothingHeld)?;
    let held = installer.held()?.ok_or(ShareError::NothingHeld)?;
    if held.files.is_empty() {
        return Err(ShareError::NothingHeld);
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ShareError::Listen {
            addr: options.listen,
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| ShareError::Listen {
        addr: options.listen,
        source,
    })?;
    let urls: Vec<String> = if bound.ip().is_unspecified() {
        lan_addresses()
            .into_iter()
            .filter(|ip| ip.is_ipv4() == bound.is_ipv4())
            .map(|ip| url_of(SocketAddr::new(ip, bound.port())))
            .collect()
    } else {
        vec![url_of(bound)]
    };
    let first_url = urls.first().cloned().unwrap_or_else(|| url_of(bound));
    let mut routes = HashMap::new();
    let mut names = Vec::new();
    for file in &held.files {
        let entry = manifest
            .file(&file.name)
            .map_err(kith_node::NodeError::from)?;
        let bytes = installer.load(entry)?;
        let kind = match entry.kind() {
            Some("deb") => "application/vnd.debian.binary-package",
            Some("rpm") => "application/x-rpm",
            _ => "application/octet-stream",
        };
        routes.insert(format!("/{}", file.name), (Bytes::from(bytes), kind));
        names.push(file.name.clone());
    }
    routes.insert(
        format!("/{MANIFEST_PATH}"),
        (
            Bytes::from(manifest.text().to_owned()),
            "text/plain; charset=utf-8",
        ),
    );
    routes.insert(
        "/".into(),
        (
            Bytes::from(page::render(&manifest, &names, &first_url)),
            "text/html; charset=utf-8",
        ),
    );
    let until = SystemTime::now() + options.duration;
    let info = ShareInfo {
        urls: if urls.is_empty() {
            vec![first_url.clone()]
        } else {
            urls
        },
        version: manifest.version().to_string(),
        fingerprint: manifest.key.fingerprint(),
        files: held.files,
        until: until
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64),
        qr_svg: page::qr_svg(&first_url),
    };
    let (stop, stop_rx) = watch::channel(false);
    let (done_tx, done) = watch::channel(false);
    let site = Arc::new(Site { routes });
    let duration = options.duration;
    tracing::info!(url = %first_url, ?duration, "sharing Kith");
    tokio::spawn(async move {
        serve(listener, site, stop_rx, duration).await;
        let _ = done_tx.send(true);
    });
    Ok(Sharing { info, stop, done })
}

/// The accept loop.
async fn serve(
    listener: tokio::net::TcpListener,
    site: Arc<Site>,
    mut stop: watch::Receiver<bool>,
    duration: Duration,
) {
    let deadline = tokio::time::Instant::now() + duration;
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let rates = Arc::new(Mutex::new(Rates::default()));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            _ = stop.wait_for(|s| *s) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tracing::debug!(%peer, "too many connections; closed");
                    continue;
                };
                let site = site.clone();
                let rates = rates.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let answer = answer(&site, &rates, peer.ip(), &request);
                        async move { Ok::<_, Infallible>(answer) }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .max_buf_size(16 * 1024)
                        .serve_connection(TokioIo::new(stream), service);
                    let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    tracing::info!("share page stopped");
    let _ = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}

/// Requests per address in the current minute.
#[derive(Default)]
struct Rates {
    window: Option<Instant>,
    counts: HashMap<IpAddr, u32>,
}

impl Rates {
    /// Counts a request; false when the address is over its rate.
    fn allow(&mut self, ip: IpAddr) -> bool {
        let now = Instant::now();
        if self
            .window
            .is_none_or(|w| now.duration_since(w) >= Duration::from_secs(60))
            || self.counts.len() >= MAX_TRACKED
        {
            self.window = Some(now);
            self.counts.clear();
        }
        let count = self.counts.entry(ip).or_insert(0);
        *count += 1;
        *count <= REQUESTS_PER_MINUTE
    }
}

fn answer(
    site: &Site,
    rates: &Mutex<Rates>,
    ip: IpAddr,
    request: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    let allowed = rates.lock().is_ok_and(|mut r| r.allow(ip));
    if !allowed {
        return plain(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests; wait a minute.\n",
        );
    }
    let head = request.method() == Method::HEAD;
    if !head && request.method() != Method::GET {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "Only GET and HEAD.\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some((body, kind)) = site.routes.get(request.uri().path()) else {
        return plain(
            StatusCode::NOT_FOUND,
            "Not here: this page offers only Kith's packages.\n",
        );
    };
    tracing::debug!(%ip, path = request.uri().path(), "served");
    let mut response = Response::new(Full::new(if head { Bytes::new() } else { body.clone() }));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    if kind.starts_with("application/") {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
